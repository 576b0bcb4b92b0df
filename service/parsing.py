"""Reading a request's JSON body: one place that turns every malformed body into a
clear 4xx."""
import json

from flask import request

from .errors import ApiError


def json_object(allowed, required=False):
    """The body as a dict with only ``allowed`` keys. An empty body is ``{}`` unless
    ``required``; anything else that is not a JSON object is refused."""
    raw = request.get_data(cache=False)   # over the size limit: werkzeug answers 413
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
