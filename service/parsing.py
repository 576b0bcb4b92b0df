"""Reading a request's JSON body: one place that turns every malformed body into a
clear 4xx."""
import json

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from .errors import ApiError


def json_object(allowed, required=False):
    """The body as a dict with only ``allowed`` keys. An empty body is ``{}`` unless
    ``required``; anything else that is not a JSON object is refused."""
    raw = _read_body()
    if not raw.strip() and not required:
        return {}
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON with Content-Type: application/json")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "the body is not valid UTF-8") from None
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, "invalid_request", f"unknown field(s): {', '.join(unknown)}; "
                                               f"allowed: {', '.join(sorted(allowed))}")
    return body


def check_unicode(text, where):
    """Refuse a string that cannot be encoded (a lone surrogate such as "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "invalid_encoding",
                       f"{where} is not valid Unicode (unpaired surrogate)") from None


def _read_body():
    """The whole body, or a 4xx: 413 past ``MAX_CONTENT_LENGTH`` whether the size was
    announced or the body came in chunks, 400 for chunk framing the server cannot read."""
    try:
        raw = request.get_data(cache=False)   # a Content-Length over the limit: 413
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        # A chunked body has no length to check first: werkzeug stops reading at the
        # limit and returns what it read, so look past it once.
        if limit is not None and len(raw) >= limit and drain(request.environ["wsgi.input"]):
            raise ApiError(413, "request_entity_too_large",
                           f"the body is larger than {limit} bytes")
    except (ApiError, HTTPException):
        raise
    except Exception as exc:   # the server's own reader: a bad chunk size, a cut body
        raise ApiError(400, "invalid_body",
                       f"the request body cannot be read ({type(exc).__name__}: {exc})") \
            from None
    return raw


#: How much of an oversized body is read and dropped before answering 413, so the
#: client, still sending, reads the answer instead of a connection reset.
DRAIN_BYTES = 16 << 20


def drain(stream):
    """Read and drop what is left of a body (up to ``DRAIN_BYTES``); whether any was."""
    left, found = DRAIN_BYTES, False
    while left > 0 and (chunk := stream.read(min(left, 1 << 16))):
        found, left = True, left - len(chunk)
    return found
