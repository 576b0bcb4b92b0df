"""The red-team list, measured: each attack against the server as `make serve` runs it
(service/gunicorn_config.py, 2 workers, the active model), one JSON line per attack with
what the attacker got and how the normal requests sent meanwhile fared.

    .venv/bin/python bench/attacks.py [ATTACK ...]        # or: make bench-attacks

The README's red-team table quotes these lines. Every loop is bounded in count and time.
"""
import json
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import request_bytes, served, worker_rss_mb  # noqa: E402
from servers import normal_requests, slow_client  # noqa: E402

#: The body read timeout the server runs with here (its default).
READ_TIMEOUT = 15


def answer(port, raw, timeout=60):
    """``(status, content type, seconds)`` of the server's answer to ``raw`` bytes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    kind = next((line.split(":", 1)[1].strip() for line in head.splitlines()
                 if line.startswith("content-type:")), None)
    return int(head[9:12]) if head else None, kind, round(time.monotonic() - started, 3)


def during(port, attack, seconds):
    """Run ``attack(stop)`` in a thread while normal requests go on for ``seconds``."""
    stop = threading.Event()
    thread = threading.Thread(target=attack, args=(stop,))
    thread.start()
    try:
        return normal_requests(port, seconds)
    finally:
        stop.set()
        thread.join()


def slow_headers(port):
    """60 clients send one header line every 2 s for 12 s."""
    def attack(stop):
        threads = [threading.Thread(target=slow_client, args=(port, 12, stop))
                   for _ in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return during(port, attack, 12)


def heads_without_body(port, connections=2100):
    """2,100 connections announce a 100-byte body and never send it (2 x 1,000 slots
    were full before); normal requests while they are held, then what each got."""
    held, opened = [], time.monotonic()
    try:
        for _ in range(connections):
            s = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT + 30)
            s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/json\r\nContent-Length: 100\r\n\r\n")
            held.append(s)
        figures = {"opened_s": round(time.monotonic() - opened, 2),
                   **normal_requests(port, 5)}
        statuses = {}
        for s in held:
            status = s.recv(12)[9:12].decode() or "closed"
            statuses[status] = statuses.get(status, 0) + 1
        figures.update(attackers_got=statuses,
                       let_go_after_s=round(time.monotonic() - opened, 1))
        return figures
    finally:
        for s in held:
            s.close()


def slow_body(port, clients=60):
    """60 clients send a 10,000-byte body one byte every second."""
    def attack(stop):
        def one():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                    s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              b"application/json\r\nContent-Length: 10000\r\n\r\n")
                    while not stop.wait(1):
                        s.sendall(b" ")
            except OSError:
                pass   # the server let us go
        threads = [threading.Thread(target=one) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return during(port, attack, 12)


def unread_answers(port, clients=100, sentences=2000):
    """100 clients each ask for a 2,000-sentence answer (about 450 KB) and never read it."""
    request = request_bytes(port, "/classify", {"texts": ["War! " * (sentences // 10)] * 10})
    sockets = []

    def attack(stop):
        for _ in range(clients):
            if stop.is_set():
                break
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(request)
            sockets.append(s)
        stop.wait(20)
    try:
        figures = during(port, attack, 20)
    finally:
        for s in sockets:
            s.close()
    return {**figures, "attackers": len(sockets)}


def large_requests(port):
    """100 clients each send 20,000 sentences (the most one request may hold) at once:
    2,000,000 sentences, several minutes of the processor; each is answered or refused
    503 when its time budget runs out."""
    return unread_answers(port, clients=100, sentences=20000)


def pathological_texts(port):
    """The three texts from issue 11 and the longest allowed text of each kind."""
    texts = {"ab-dot": "ab. " * 25000, "digits-dots-marks": "1.2.3!?" * 14000,
             "titles-initials": ("Mr. A. B. " * 9900)[:99_000],
             "one-word-sentences": ("War! " * 20000)[:100_000],
             "no-spaces": "x" * 100_000, "dots": "." * 100_000}
    return {name: answer(port, request_bytes(port, "/classify", {"text": text}))
            for name, text in texts.items()}


def huge_answer(port):
    """190,000 one-word sentences in one 1 MiB request, with explanations."""
    return answer(port, request_bytes(port, "/classify",
                                      {"texts": ["War! " * 19000] * 10, "explain": True}))


def malformed_http(port):
    """Requests gunicorn or the app refuses: each status and content type."""
    cases = {
        "url-over-4k": b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "header-over-8k": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000
                          + b"\r\n\r\n",
        "bad-header-name": b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        "bad-request-line": b"NOT A REQUEST LINE\r\n\r\n",
        "xchunked": b"POST /classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked"
                    b"\r\n\r\n{}",
        "chunk-not-hex": b"POST /classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         b"chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "length-over-limit": b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nExpect: 100-continue\r\n"
                             b"Content-Length: 5000000\r\n\r\n",
        "chunked-over-limit": b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                              + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n"
                                         for _ in range(20)) + b"0\r\n\r\n",
        "options": b"OPTIONS /classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    }
    return {name: answer(port, raw) for name, raw in cases.items()}


ATTACKS = {"slow_headers": slow_headers, "heads_without_body": heads_without_body,
           "slow_body": slow_body, "unread_answers": unread_answers,
           "large_requests": large_requests,
           "pathological_texts": pathological_texts, "huge_answer": huge_answer,
           "malformed_http": malformed_http}


def main():
    """Start the server, run the named attacks (all by default), print a line each with
    the server's resident memory after it (master and workers, MB)."""
    names = sys.argv[1:] or list(ATTACKS)
    with served(env={"CASUS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT)}) as (port, pid, _):
        for name in names:
            started = time.monotonic()
            result = ATTACKS[name](port)
            rss = worker_rss_mb(pid)
            print(json.dumps({"attack": name, "seconds": round(time.monotonic() - started, 1),
                              **(result if isinstance(result, dict) else {"got": result}),
                              "rss_mb": round(rss["master"] + sum(rss["workers"]))}),
                  flush=True)


if __name__ == "__main__":
    main()
