"""Settings that are easy to get subtly wrong: the admin token, the debootstrap mirror."""
import os
import subprocess
import sys
from pathlib import Path

from service import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_a_token_set_with_white_space_around_it_still_lets_writers_in(save_tiny, tmp_path,
                                                                     monkeypatch):
    save_tiny("v1", active=True)
    monkeypatch.setenv("CASUS_ADMIN_TOKEN", "  s3cret-token\n")
    app = create_app({"MODEL_DIR": str(save_tiny.root), "DATA_DIR": str(tmp_path / "data"),
                      "MODEL_WATCH_SECONDS": 0})
    client = app.test_client()
    def status(token):
        return client.post("/examples", json={"examples": []},
                           headers={"Authorization": f"Bearer {token}"}).status_code
    assert status("wrong") == 401
    assert status("s3cret-token") not in (401, 403)    # in, and told what is wrong


def mirror(root, env=None):
    return subprocess.run([sys.executable, str(ROOT / ".ci/apt_mirror.py"), "bookworm",
                           str(root) + "/"], capture_output=True, text=True,
                          env={**os.environ, "MIRROR": "", **(env or {})})


def test_the_container_check_takes_its_mirror_from_the_machines_apt_sources(tmp_path):
    sources = tmp_path / "etc/apt/sources.list.d"
    sources.mkdir(parents=True)
    (sources / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb\n# a comment\nURIs: http://mirror.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    assert mirror(tmp_path).stdout.strip() == "http://mirror.example/debian"
    (sources / "debian.sources").unlink()
    (tmp_path / "etc/apt/sources.list").write_text(
        "# deb http://old.example/debian bookworm main\n"
        "deb [arch=amd64] http://one-line.example/debian bookworm main\n")
    assert mirror(tmp_path).stdout.strip() == "http://one-line.example/debian"
    assert mirror(tmp_path, {"MIRROR": "http://set.example/d"}).stdout.strip() == \
        "http://set.example/d"
    (tmp_path / "etc/apt/sources.list").unlink()
    missing = mirror(tmp_path)
    assert missing.returncode == 1 and "MIRROR" in missing.stderr
    assert "deb.debian.org" not in (ROOT / ".ci/container-check").read_text()


def test_a_request_over_its_time_budget_is_a_503_not_a_dead_worker(save_tiny, tmp_path):
    save_tiny("v1", active=True)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0,
                      "TIME_BUDGET_SECONDS": -1})
    response = app.test_client().post("/classify", json={"text": "We call for talks."})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "time_budget_exceeded"


def test_default_places_are_in_the_project_whichever_room_names_them():
    # the modules sit two levels down (train/<room>/); a default one level off would put
    # the store and the versions inside train/ and start jobs where `-m train` fails
    from train.model.versions import DEFAULT_ROOT
    from train.retraining.jobs import PROJECT_ROOT
    from train.retraining.store import DEFAULT_DATA_DIR
    assert PROJECT_ROOT == ROOT and (PROJECT_ROOT / "train" / "__main__.py").is_file()
    assert DEFAULT_ROOT == ROOT / "model_artifacts"
    assert DEFAULT_DATA_DIR == ROOT / "var"
