"""A small HTTP load generator (one thread per client, one connection per request as
gunicorn's sync workers close each one) and a helper that runs the real server as
`make serve` does.

Used by ``bench/run.py`` (make bench) and ``bench/load.py`` (make load).
"""
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from service.gunicorn_config import command as gunicorn_command  # noqa: E402


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_bytes(port, path, body):
    """A complete HTTP/1.1 POST request carrying ``body`` as JSON."""
    payload = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + payload


def _client(port, payloads, deadline, latencies, errors, counter):
    """One client: a blocking socket per request, until ``deadline``."""
    while time.perf_counter() < deadline:
        payload = payloads[next(counter) % len(payloads)]
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
                connection.sendall(payload)
                chunks = []
                while chunk := connection.recv(1 << 16):   # until the server closes
                    chunks.append(chunk)
        except OSError as exc:
            errors.append(repr(exc))
            continue
        response = b"".join(chunks)
        status = int(response[9:12]) if response.startswith(b"HTTP/") else 0
        if status != 200:
            errors.append(f"HTTP {status}")
        else:
            latencies.append(time.perf_counter() - started)


def percentile(values, q):
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_load(port, payloads, concurrency, seconds, warmup=1.0):
    """Send ``payloads`` (request bytes, round robin) from ``concurrency`` clients for
    ``seconds``; returns requests/s, latency percentiles (ms) and errors."""
    def clients(duration, latencies, errors):
        deadline, counter = time.perf_counter() + duration, itertools.count()
        threads = [threading.Thread(target=_client, args=(port, payloads, deadline,
                                                          latencies, errors, counter))
                   for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    clients(warmup, [], [])
    latencies, errors = [], []
    started = time.perf_counter()
    clients(seconds, latencies, errors)
    elapsed = time.perf_counter() - started
    return {"concurrency": concurrency, "seconds": round(elapsed, 1),
            "requests": len(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5],
            "requests_per_s": round(len(latencies) / elapsed, 1),
            **{f"p{q}_ms": round(percentile(latencies, q) * 1000, 2) for q in (50, 95, 99)}}


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


@contextmanager
def served(workers=2, env=None):
    """The real server as `make serve` runs it; yields ``(port, master pid, seconds from
    process start to the first answered /classify)``."""
    port = free_port()
    command = gunicorn_command(f"127.0.0.1:{port}", workers,
                               str(Path(sys.executable).parent / "gunicorn"))
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    probe = request_bytes(port, "/classify", {"text": "We are ready to talk."})
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(probe)
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("the server did not start")
            time.sleep(0.005)
        cold_start = time.perf_counter() - started
        yield port, process.pid, cold_start
    finally:
        process.terminate()
        process.wait(timeout=30)


def worker_rss_mb(master_pid):
    """Resident memory (MB) of the master and of each worker process."""
    def rss(pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return None
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return {"master": rss(master_pid), "workers": [rss(int(pid)) for pid in children]}
