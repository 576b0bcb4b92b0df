"""What an attacker on the network can do to the real server, as `make serve` runs it:
slow clients, malformed HTTP and chunk framing, oversized chunked bodies. Each must get
a JSON answer or be left waiting on its own, while everyone else is served."""
import json
import socket
import threading

import pytest
from live_server import call, gunicorn


#: The body read timeout the server runs with here (CASUS_READ_TIMEOUT_SECONDS).
READ_TIMEOUT = 8


@pytest.fixture(scope="module")
def server():
    """The real server on the shipped default model."""
    with gunicorn({"CASUS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT)}) as base:
        yield base


def port_of(base):
    return int(base.rsplit(":", 1)[1])


def exchange(base, raw, timeout=20):
    """Send ``raw`` bytes; ``(status, JSON body)`` of the answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=timeout) as s:
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(1 << 16):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head[9:12]), json.loads(body)


@pytest.mark.slow
def test_slow_clients_do_not_hold_the_workers(server):
    # sync workers: every worker waits on a slow client, and these requests time out
    stop, opened = threading.Event(), threading.Semaphore(0)

    def trickle():
        with socket.create_connection(("127.0.0.1", port_of(server)), timeout=30) as s:
            s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\n")
            opened.release()
            n = 0
            while not stop.wait(0.5):
                s.sendall(b"X-Slow-%d: y\r\n" % n)
                n += 1

    slow = [threading.Thread(target=trickle) for _ in range(12)]
    for thread in slow:
        thread.start()
    try:
        for _ in slow:
            assert opened.acquire(timeout=20)
        for _ in range(5):
            assert call(server + "/health")[0] == 200
            status, body, _ = call(server + "/classify", {"text": "They shelled the town."})
            assert status == 200 and body["results"][0]["sentences"]
        assert all(thread.is_alive() for thread in slow)   # still trickling meanwhile
    finally:
        stop.set()
        for thread in slow:
            thread.join()


@pytest.mark.slow
@pytest.mark.parametrize("raw, status", [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
    (b"NOT A REQUEST LINE\r\n\r\n", 400),
], ids=["url-over-4k", "header-over-8k", "bad-header-name", "bad-request-line"])
def test_errors_the_server_answers_itself_are_json(server, raw, status):
    answer_status, body = exchange(server, raw)
    assert answer_status == status and body["error"]["code"] and body["error"]["message"]


def answer_of(sock):
    """``(status, JSON body)`` of what the server sends on ``sock`` until it closes."""
    answer = b""
    while chunk := sock.recv(1 << 16):
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head[9:12]), json.loads(body)


@pytest.mark.slow
def test_connections_that_never_send_their_body_do_not_starve_others(server):
    # Before: 2 workers x 1,000 connections, each held by a head announcing a body that
    # never came, and /health waited for a slot. 2,100 > 2,000.
    held = []
    try:
        for _ in range(2100):
            s = socket.create_connection(("127.0.0.1", port_of(server)), timeout=60)
            s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/json\r\nContent-Length: 100\r\n\r\n")
            held.append(s)
        assert call(server + "/health")[0] == 200
        status, body, _ = call(server + "/classify", {"text": "We want talks."})
        assert status == 200 and body["results"][0]["sentences"]
        # and each held connection is let go with a 408 once its time is up
        answers = [answer_of(s) for s in held]
        assert {status for status, _ in answers} == {408}
        assert answers[0][1]["error"]["code"] == "request_timeout"
    finally:
        for s in held:
            s.close()


def continue_then_answer(base, length, body=b""):
    """Send a head with ``Expect: 100-continue``; the first status the server answers
    with, then (after sending ``body`` if that was 100) the final ``(status, JSON)``."""
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=20) as s:
        s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nExpect: 100-continue\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n" % length)
        first = s.recv(12)
        if first.startswith(b"HTTP/1.1 100"):
            s.sendall(body)
            answer = s.recv(1 << 16)   # the rest of the 100 and perhaps more
            while b"\r\n\r\n" not in answer:
                answer += s.recv(1 << 16)
            rest = answer.split(b"\r\n\r\n", 1)[1]
            while chunk := s.recv(1 << 16):
                rest += chunk
            head, _, payload = rest.partition(b"\r\n\r\n")
            return 100, (int(head[9:12]), json.loads(payload))
        rest = first
        while chunk := s.recv(1 << 16):
            rest += chunk
        head, _, payload = rest.partition(b"\r\n\r\n")
        return int(head[9:12]), (int(head[9:12]), json.loads(payload))


@pytest.mark.slow
def test_expect_continue_is_answered_413_before_an_oversized_body(server):
    first, (status, body) = continue_then_answer(server, 5 << 20)
    assert first == 413 and status == 413
    assert body["error"]["code"] == "request_entity_too_large"
    text = json.dumps({"text": "We want talks."}).encode()
    first, (status, body) = continue_then_answer(server, len(text), text)
    assert first == 100 and status == 200
    assert body["results"][0]["sentences"][0]["labels"] == ["negotiation"]


@pytest.mark.slow
def test_an_unknown_transfer_coding_is_a_json_501(server):
    status, body = exchange(server, b"POST /classify HTTP/1.1\r\nHost: x\r\n"
                                    b"Transfer-Encoding: xchunked\r\n\r\n{}")
    assert status == 501 and body["error"]["code"] == "not_implemented"
    assert "xchunked" in body["error"]["message"]


def chunked(body_chunks, path="/classify"):
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    return head + b"".join(body_chunks)


@pytest.mark.slow
@pytest.mark.parametrize("framing", [b"zz\r\n{}\r\n0\r\n\r\n", b"-1\r\n{}\r\n0\r\n\r\n",
                                     b"2\r\n{}0\r\n\r\n"],
                         ids=["not-hex", "negative", "missing-crlf"])
def test_malformed_chunk_framing_is_a_400(server, framing):
    status, body = exchange(server, chunked([framing]))
    assert status == 400, body
    assert call(server + "/health")[0] == 200


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_refused_like_a_sized_one(server):
    payload = json.dumps({"text": "We want talks."}).encode() + b" " * (2 << 20)
    pieces = [b"%x\r\n%s\r\n" % (len(payload[i:i + 65536]), payload[i:i + 65536])
              for i in range(0, len(payload), 65536)]
    status, body = exchange(server, chunked(pieces + [b"0\r\n\r\n"]))
    assert status == 413 and body["error"]["code"] == "request_entity_too_large"
    small = json.dumps({"text": "We want talks."}).encode()
    status, body = exchange(server, chunked([b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)]))
    assert status == 200 and body["results"][0]["sentences"][0]["labels"] == ["negotiation"]


@pytest.mark.slow
@pytest.mark.parametrize("text", ["ab. " * 25000, "1.2.3!?" * 14000,
                                  ("Mr. A. B. " * 9900)[:99_000],
                                  "'' " + " " * 99_000 + ".", "a-\n" * 33_000],
                         ids=["ab-dot", "digits-dots-marks", "titles-initials",
                              "spaces-before-a-mark", "hyphenated-lines"])
def test_pathological_text_is_answered_and_the_worker_lives(server, text):
    status, body, _ = call(server + "/classify", {"text": text})
    assert status == 200
    sentences = body["results"][0]["sentences"]
    assert all(text[s["start"]:s["end"]] == s["text"] for s in sentences)
    assert call(server + "/health")[0] == 200
