"""The gunicorn worker casus runs: gevent's, with every error gunicorn answers itself in
the API's JSON shape.

Why gevent (``bench/servers.py``, 60 clients trickling one header line every 2 s for
12 s, 2 workers): the sync and threaded workers give each connection a worker or a
thread until its request is complete, so the slowest normal request waited 12.0 s (sync)
and 11.9 s (gthread, 8 threads); gevent parks each connection on a greenlet, and the
slowest normal request took 0.01 s. waitress buffers whole requests too, but serves from
one process (643 single-sentence requests/s at 16 clients, against 1,255 for gevent);
granian's own error pages cannot be made JSON.
"""
import html
import json
import re
import signal

from gunicorn.workers.ggevent import GeventWorker

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


def json_error_response(page):
    """The JSON response (bytes) saying what gunicorn's HTML error ``page`` says."""
    status = _STATUS_LINE.match(page)
    code, reason = (int(status.group(1)), status.group(2).decode("latin-1")) if status \
        else (400, "Bad Request")
    message = _MESSAGE.search(page)
    text = html.unescape(message.group(1).decode("latin-1")).strip() if message else ""
    if code >= 500:
        text = "the service failed to handle this request"   # never an internal detail
    body = json.dumps({"error": {"code": reason.lower().replace(" ", "_"),
                                 "message": text or reason}}).encode()
    head = (f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class JsonErrorWorker(GeventWorker):
    """gevent's worker whose own error answers (a bad request line, a header too long,
    a malformed chunk) are the documented JSON, not gunicorn's HTML."""

    def init_process(self):
        # A worker starts with the master's signal handlers, which only queue a signal
        # for the master's loop: a SIGTERM that came while gevent patched the process
        # (a few hundred ms) was lost, and stopping waited out the 30 s graceful timeout.
        # Until the worker's own handlers are in place, a signal does what it says.
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        super().init_process()

    def handle_error(self, req, client, addr, exc):
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        if captured.data:
            try:
                client.sendall(json_error_response(captured.data))
            except OSError:
                self.log.debug("failed to send the error answer")
