"""The Dockerfile stays in step with the Makefile: same requirements, server and options."""
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def gunicorn_options(text):
    line = re.search(r"gunicorn (.+?)(?:\n(?!\t\t)|$)", text.replace("\\\n", " "), re.S)
    words = shlex.split(line.group(1))
    return {w for w in words if w.startswith("--")}, [w for w in words if w.endswith("()")]


def test_same_server_entry_point_and_options():
    make_flags, make_app = gunicorn_options(MAKEFILE.split("\nserve:")[1])
    docker_flags, docker_app = gunicorn_options(DOCKERFILE.split("\nCMD ")[1])
    assert make_app == docker_app == ["service:create_app()"]
    assert {"--preload", "--workers", "--bind"} <= make_flags & docker_flags


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
