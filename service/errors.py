"""One error type for the API, and the handlers that turn every failure into JSON."""
import re
import sqlite3

from flask import g, has_request_context, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A request the service refuses: HTTP ``status``, a stable ``code``, a ``message``."""

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or {}, headers or {}


#: An absolute path: the server's layout is for its logs, not for anyone who asks.
_PATH = re.compile(r"(?<![\w.])(?:/[^/\s'\"]+)+/?")


def without_paths(message):
    """``message`` with each absolute path cut to its last part."""
    return _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], str(message))


def _body(code, message, status, details=None, headers=None):
    # Every error message leaves without the server's paths (a model or data directory
    # named in a load failure); the log keeps them.
    if has_request_context():
        g.casus_error_code = code   # counted per route by service.metrics.record_request
    response = jsonify({"error": {"code": code, "message": without_paths(message),
                                  **(details or {})}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def register_error_handlers(app):
    """Map ApiError, every HTTP error and any unexpected exception to a JSON body."""
    @app.errorhandler(ApiError)
    def api_error(error):
        return _body(error.code, error.message, error.status, error.details, error.headers)

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = (error.name or "error").lower().replace(" ", "_")
        response = _body(code, error.description or error.name, error.code or 500)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(sqlite3.Error)
    def store_error(error):   # e.g. the disk is full or the file is locked for too long
        app.logger.exception("example store failed")
        return _body("store_unavailable", f"the example store cannot be used right now "
                                          f"({error}); nothing was stored", 503)

    @app.errorhandler(Exception)
    def unexpected(error):  # never a stack trace to the client
        app.logger.exception("unhandled error")
        return _body("internal_error", "the service failed to handle this request", 500)
