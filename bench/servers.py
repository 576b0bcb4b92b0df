"""Which server setup serves casus: the candidates side by side, on the same app.

For each setup: 60 slow clients trickle one header line every 2 s for 12 s while one
normal client sends /health and /classify one after another (the slowest answer and any
failure), then 16 clients send single sentences for a few seconds (requests/s, p50, p99).

    .venv/bin/python bench/servers.py [SETUP ...]

Setups other than the chosen one need their server installed in the venv
(``pip install gevent waitress granian``); a setup whose server is missing is skipped.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import ROOT, free_port, request_bytes, run_load  # noqa: E402

BIN = Path(sys.executable).parent
APP = "service:create_app()"


def setups(port):
    """The command line of each candidate setup, serving the app on ``port``."""
    bind = f"127.0.0.1:{port}"
    gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--bind", bind,
                "--no-control-socket"]
    return {
        "gunicorn-sync": gunicorn + ["--preload", APP],
        "gunicorn-gthread-8": gunicorn + ["--preload", "-k", "gthread", "--threads", "8", APP],
        "gunicorn-gevent": gunicorn + ["-k", "gevent", APP],
        "gunicorn-casus": [str(BIN / "gunicorn"), "--config", "python:service.gunicorn_config",
                           "--bind", bind, APP],
        "waitress-8": [str(BIN / "waitress-serve"), "--threads", "8", "--listen", bind,
                       "--call", "service:create_app"],
        "granian-2": [str(BIN / "granian"), "--interface", "wsgi", "--workers", "2",
                      "--host", "127.0.0.1", "--port", str(port), "--factory",
                      "service:create_app"],
    }


def wait_ready(port, process, timeout=120):
    """Wait until /classify answers 200 (or the server dies)."""
    probe = request_bytes(port, "/classify", {"text": "We are ready to talk."})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(probe)
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def slow_client(port, seconds, stop):
    """Send a request line, then one header line every 2 s, never finishing."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\n")
            deadline, n = time.monotonic() + seconds, 0
            while time.monotonic() < deadline and not stop.wait(2):
                s.sendall(b"X-Slow-%d: y\r\n" % n)
                n += 1
    except OSError:
        pass   # the server closed us: that is its right


def normal_requests(port, seconds):
    """/health and /classify one after another for ``seconds``: count, failures, slowest."""
    requests = [b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                request_bytes(port, "/classify", {"text": "They shelled the town again."})]
    latencies, failures = [], 0
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=35) as s:
                s.sendall(requests[i % 2])
                head = s.recv(12)
                while s.recv(1 << 16):
                    pass
            failures += not head.startswith(b"HTTP/1.1 200")
        except OSError:
            failures += 1
        latencies.append(time.monotonic() - started)
        i += 1
    return {"normal_requests": len(latencies), "normal_failures": failures,
            "slowest_s": round(max(latencies), 3) if latencies else None}


def measure(name, command, port, slow_clients=60, seconds=12):
    """The slow-client and load figures of one setup."""
    if not shutil.which(command[0]):
        return {"setup": name, "skipped": f"{command[0]} is not installed"}
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "CASUS_LOG_LEVEL": "warning"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ready(port, process):
            return {"setup": name, "skipped": "did not start"}
        stop = threading.Event()
        attackers = [threading.Thread(target=slow_client, args=(port, seconds, stop))
                     for _ in range(slow_clients)]
        for thread in attackers:
            thread.start()
        figures = normal_requests(port, seconds)
        stop.set()
        for thread in attackers:
            thread.join()
        single = request_bytes(port, "/classify", {"text": "We will not negotiate under fire."})
        load = run_load(port, [single], concurrency=16, seconds=5)
        return {"setup": name, **figures, "c16_requests_per_s": load["requests_per_s"],
                "c16_p50_ms": load["p50_ms"], "c16_p99_ms": load["p99_ms"],
                "c16_errors": load["errors"]}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    """Measure the named setups (all by default) and print one JSON line each."""
    names = sys.argv[1:] or list(setups(0))
    for name in names:
        port = free_port()
        print(json.dumps(measure(name, setups(port)[name], port)), flush=True)


if __name__ == "__main__":
    main()
