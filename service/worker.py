"""The gunicorn worker casus runs: gevent's, with every error gunicorn answers itself in
the API's JSON shape.

Why gevent (``bench/servers.py``, 60 clients trickling one header line every 2 s for
12 s, 2 workers): the sync and threaded workers give each connection a worker or a
thread until its request is complete, so the slowest normal request waited 12.0 s (sync)
and 11.9 s (gthread, 8 threads); gevent parks each connection on a greenlet, and the
slowest normal request took 0.01 s. waitress buffers whole requests too, but serves from
one process (643 single-sentence requests/s at 16 clients, against 1,255 for gevent);
granian's own error pages cannot be made JSON.

A greenlet is cheap but each connection holds one of ``worker_connections``, so a
connection that stops sending must let go of it: gunicorn drops a request head not
complete within ``keepalive`` seconds, and this worker reads the whole body before the
app sees it, within ``CASUS_READ_TIMEOUT_SECONDS`` (default 15) in all, and no socket
read or write may wait longer than that (a client that stops reading its answer). With
2,050 connections sending a head and no body, /health waited for a free slot until the
first of them gave up; now each is answered 408 at the deadline and the slots (4,000
per worker) outnumber what one client gets through before then.
"""
import html
import io
import json
import os
import re
import resource
import signal
from http import HTTPStatus

import gevent
from gunicorn.http.errors import ParseException
from gunicorn.workers.ggevent import GeventWorker

from .parsing import drain

_STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ([^\r\n]*)\r\n")
_MESSAGE = re.compile(rb"</h1>(.*)</body>", re.S)


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML error page, so
    the page can be rewritten as JSON before anything reaches the client."""

    def __init__(self):
        self.data = b""

    def gettimeout(self):
        return 0.0

    def sendall(self, data):
        self.data += data


def json_response(status, code, message):
    """A complete HTTP response (bytes) closing the connection, with the API's JSON
    error body."""
    reason = HTTPStatus(status).phrase
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def json_error_response(page):
    """The JSON response (bytes) saying what gunicorn's HTML error ``page`` says."""
    status = _STATUS_LINE.match(page)
    code = int(status.group(1)) if status else 400
    try:
        # gunicorn names some statuses wrongly ("501 Bad Request"); the number decides.
        phrase = HTTPStatus(code).phrase
    except ValueError:
        code, phrase = 400, HTTPStatus(400).phrase
    message = _MESSAGE.search(page)
    text = html.unescape(message.group(1).decode("latin-1")).strip() if message else ""
    if code == 500:
        text = "the service failed to handle this request"   # never an internal detail
    return json_response(code, phrase.lower().replace(" ", "_"), text or phrase)


def _too_large(limit):
    """The 413 for a body over ``limit`` bytes, as the app words it."""
    return json_response(413, "request_entity_too_large",
                         f"the body is larger than {limit} bytes")


class JsonErrorWorker(GeventWorker):
    """gevent's worker whose own error answers (a bad request line, a header too long,
    a malformed chunk) are the documented JSON, not gunicorn's HTML."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read_timeout = float(os.environ.get("CASUS_READ_TIMEOUT_SECONDS", 15))

    def init_process(self):
        # Each connection is a file descriptor: let the worker have as many as the
        # system allows it (worker_connections would otherwise meet a soft limit of 1,024).
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        # A worker starts with the master's signal handlers, which only queue a signal
        # for the master's loop: a SIGTERM that came while gevent patched the process
        # (a few hundred ms) was lost, and stopping waited out the 30 s graceful timeout.
        # Until the worker's own handlers are in place, a signal does what it says.
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        super().init_process()

    def handle_request(self, listener_name, req, sock, addr):
        """Read the whole body first (see the module docstring), then serve."""
        sock.settimeout(self.read_timeout)   # no read or write waits longer than this
        answer = self._read_ahead(req, sock)
        if answer is not None:
            sock.sendall(answer)
            raise StopIteration()   # gunicorn closes the connection
        try:
            return super().handle_request(listener_name, req, sock, addr)
        except TimeoutError:   # a client that stopped reading its answer: not our error
            self.log.info("closed the connection from %s: it read nothing of its answer "
                          "for %g s", addr[0] if addr else "?", self.read_timeout)
            raise StopIteration() from None

    def _read_ahead(self, req, sock):
        """Put the body's bytes, read within the timeout, in place of ``req.body``; or
        return the response (bytes) that answers without the app: 413 for a body over
        the limit (announced: before any 100 Continue invites it), 408 for a body too
        slow, 400 for chunk framing that cannot be read."""
        limit = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH")
        length = next((int(value) for name, value in req.headers
                       if name == "CONTENT-LENGTH"), None)   # gunicorn checked it is a number
        if limit is not None and length is not None and length > limit:
            if not req._expected_100_continue:
                self._drop_rest(req)   # the client is sending it anyway
            return _too_large(limit)
        if length == 0 or not any(name in ("CONTENT-LENGTH", "TRANSFER-ENCODING")
                                  for name, _ in req.headers):
            return None
        if req._expected_100_continue:
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            req._expected_100_continue = False
        # A chunked body has no length: read one byte past the limit to know it is over.
        want = length if length is not None else (limit + 1 if limit is not None else None)
        parts, size = [], 0
        try:
            with gevent.Timeout(self.read_timeout):
                while want is None or size < want:
                    part = req.body.read(1 << 16 if want is None else min(1 << 16, want - size))
                    if not part:
                        break
                    parts.append(part)
                    size += len(part)
        except (gevent.Timeout, TimeoutError):
            return json_response(408, "request_timeout", f"the request body did not arrive "
                                                         f"within {self.read_timeout:g} s")
        except ParseException as exc:   # a bad chunk size, a missing CRLF
            return json_response(400, "invalid_body",
                                 f"the request body cannot be read ({type(exc).__name__}: {exc})")
        if limit is not None and size > limit:
            self._drop_rest(req)
            return _too_large(limit)
        req.body = io.BytesIO(b"".join(parts))
        return None

    def _drop_rest(self, req):
        """Read and drop the rest of the body (``parsing.drain``), within the read
        timeout: closing with the client's bytes unread would reset the connection
        before it reads the answer."""
        with gevent.Timeout(self.read_timeout, False):
            drain(req.body)

    def handle_error(self, req, client, addr, exc):
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        if captured.data:
            try:
                client.sendall(json_error_response(captured.data))
            except OSError:
                self.log.debug("failed to send the error answer")
