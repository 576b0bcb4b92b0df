"""End to end: the real gunicorn server, as `make serve` starts it, answering over HTTP."""
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def server():
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "service:create_app()"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):                     # up to 30 s for the model to load
            try:
                if call(base + "/ready")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_real_server_classifies_a_document(server):
    text = ("The envoy urged both sides to return to talks. \"They shelled our villages. "
            "We will respond,\" the minister said.")
    status, body = call(server + "/classify", {"text": text, "explain": True})
    assert status == 200
    sentences = body["results"][0]["sentences"]
    assert [text[s["start"]:s["end"]] for s in sentences] == [s["text"] for s in sentences]
    assert "negotiation" in sentences[0]["labels"]
    assert {"accusation", "self_defence"} <= set(sentences[1]["labels"])
    assert body["model"]["version"] == call(server + "/ready")[1]["model"]


@pytest.mark.slow
def test_real_server_errors_are_json(server):
    assert call(server + "/classify", b"{", "application/json")[0] == 400
    status, body = call(server + "/classify", b"x" * ((1 << 20) + 100), "application/json")
    assert status == 413 and body["error"]["code"] == "request_entity_too_large"
    assert call(server + "/classify", b"hello", "text/plain")[0] == 415
