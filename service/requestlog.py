"""Request ids and structured logs.

Every response carries ``X-Request-Id``: the client's own when it sends a usable one
(1 to 128 letters, digits and ``-_.:``), otherwise a new random one, so a request can be
followed from a client's log through ours. With ``CASUS_LOG_FORMAT=json`` every log
line is one JSON object (time, level, logger, message, and the request id when there is
a request) and each request is logged once on ``casus.access`` with its route, method,
status, duration, sentences and model version; the text itself only with
``CASUS_LOG_TEXT=1``, since what users send may be confidential.
"""
import json
import logging
import re
import time
import uuid

from flask import current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_USABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("casus.access")


def new_request_id():
    """A fresh random request id (32 hex digits)."""
    return uuid.uuid4().hex


def take_request_id():
    """Before a request: the client's request id if usable, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.casus_request_id = given if _USABLE_ID.fullmatch(given) else new_request_id()


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request id inside a request."""

    def format(self, record):
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if has_request_context() and g.get("casus_request_id"):
            entry["request_id"] = g.casus_request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs():
    """Write the ``casus`` loggers (the access log included) as JSON lines on stderr."""
    casus = logging.getLogger("casus")
    if not any(isinstance(h.formatter, JsonFormatter) for h in casus.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        casus.addHandler(handler)
        casus.propagate = False


def log_access(response, model):
    """After a request, with JSON logs on: one access line with what happened."""
    if current_app.config["LOG_FORMAT"] != "json":
        return
    started = g.get("casus_started")
    fields = {"route": request.url_rule.rule if request.url_rule else None,
              "method": request.method, "path": request.path,
              "status": response.status_code,
              "duration_ms": round((time.perf_counter() - started) * 1000, 2)
              if started else None,
              "sentences": g.get("casus_sentences"),
              "model_version": model.version if model is not None else None}
    if current_app.config["LOG_TEXT"] and g.get("casus_texts") is not None:
        fields["texts"] = g.casus_texts
    access_log.info(f"{request.method} {request.path} {response.status_code}",
                    extra={"fields": fields})
