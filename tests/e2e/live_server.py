"""Helpers for the end-to-end tests: a real gunicorn server and a plain HTTP client."""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen import free_port
from service.gunicorn_config import command as gunicorn_command

ROOT = Path(__file__).resolve().parents[2]


def call(url, body=None, content_type="application/json", headers=None, method=None):
    """``(status, JSON body, response headers)`` of one request; HTTP errors included."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


class LiveServer(str):
    """The server's base URL, which also knows the master's process id."""
    pid = None


@contextmanager
def gunicorn(env=None, workers=2, timeout=60):
    """Run the app as `make serve` does (its settings, ``workers`` workers); yields its
    URL (a LiveServer) once /ready answers 200."""
    port = free_port()
    command = gunicorn_command(f"127.0.0.1:{port}", workers,
                               str(Path(sys.executable).parent / "gunicorn"))
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = LiveServer(f"http://127.0.0.1:{port}")
    base.pid = process.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if call(base + "/ready")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
