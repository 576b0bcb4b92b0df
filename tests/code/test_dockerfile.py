"""The Dockerfile stays in step with the Makefile: same requirements, server and options."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def test_same_server_entry_point_and_settings():
    make_serve = MAKEFILE.split("\nserve:")[1].split("\n\n")[0]
    docker_cmd = DOCKERFILE.split("\nCMD ")[1]
    for command in (make_serve, docker_cmd):
        assert "gunicorn" in command and "service:create_app()" in command
        assert "python:service.gunicorn_config" in command     # the one set of settings
        assert "--preload" not in command and "--bind" not in command


def test_settings_file_serves_slow_clients_without_holding_a_worker():
    from service import gunicorn_config
    assert gunicorn_config.worker_class == "service.worker.JsonErrorWorker"
    assert gunicorn_config.preload_app and gunicorn_config.control_socket_disable


def test_same_defaults_and_requirements():
    assert re.search(r"^PORT\s*\?=\s*8000$", MAKEFILE, re.M)
    assert re.search(r"^WORKERS \?= 2$", MAKEFILE, re.M)
    assert "PORT=8000 WORKERS=2" in DOCKERFILE
    assert "COPY requirements.txt ." in DOCKERFILE
    assert "pip install --disable-pip-version-check -r requirements.txt" in DOCKERFILE
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_image_rules():
    assert "ARG BASE=python:3.11-slim" in DOCKERFILE
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", DOCKERFILE, re.M)
    assert "RUN python -m train" in DOCKERFILE      # the model is built into the image
