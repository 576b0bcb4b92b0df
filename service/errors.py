"""One error type for the API, and the handlers that turn every failure into JSON."""
from flask import jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A request the service refuses: HTTP ``status``, a stable ``code``, a ``message``."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _body(code, message, status):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def register_error_handlers(app):
    """Map ApiError, every HTTP error and any unexpected exception to a JSON body."""
    @app.errorhandler(ApiError)
    def api_error(error):
        return _body(error.code, error.message, error.status)

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = (error.name or "error").lower().replace(" ", "_")
        response = _body(code, error.description or error.name, error.code or 500)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error):  # never a stack trace to the client
        app.logger.exception("unhandled error")
        return _body("internal_error", "the service failed to handle this request", 500)
