"""Routes: parse and check the request, call one function, format the answer."""
import json

from flask import Blueprint, current_app, jsonify, request

from .classify import classify_texts
from .errors import ApiError
from .docs import render_docs
from .openapi import openapi_spec

bp = Blueprint("api", __name__)

_FIELDS = {"text", "texts", "split", "explain"}


def _model():
    model = current_app.extensions.get("casus_model")
    if model is None:
        raise ApiError(503, "model_unavailable",
                       f"no model is loaded: {current_app.extensions.get('casus_model_error')}")
    return model


def _parse_classify_request():
    """The texts and options of a /classify request, or an ApiError saying what is wrong."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON with Content-Type: application/json")
    raw = request.get_data(cache=False)   # over the size limit: werkzeug answers 413
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
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ApiError(400, "invalid_request", f"unknown field(s): {', '.join(unknown)}; "
                                               f"allowed: {', '.join(sorted(_FIELDS))}")
    if ("text" in body) == ("texts" in body):
        raise ApiError(400, "invalid_request", "give exactly one of 'text' or 'texts'")
    texts = [body["text"]] if "text" in body else body["texts"]
    if not isinstance(texts, list) or not texts:
        raise ApiError(400, "invalid_request", "'texts' must be a non-empty list of strings")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ApiError(400, "invalid_request", f"text {index} is not a string")
        if not text.strip():
            raise ApiError(400, "empty_text", f"text {index} is empty or only white space")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:   # a lone surrogate escape such as "\ud800"
            raise ApiError(400, "invalid_encoding",
                           f"text {index} is not valid Unicode (unpaired surrogate)") from None
    options = {}
    for name in ("split", "explain"):
        value = body.get(name, name == "split")
        if not isinstance(value, bool):
            raise ApiError(400, "invalid_request", f"'{name}' must be true or false")
        options[name] = value
    limits = current_app.config
    if len(texts) > limits["MAX_TEXTS"]:
        raise ApiError(422, "too_many_texts", f"{len(texts)} texts; at most "
                                              f"{limits['MAX_TEXTS']} per request")
    for index, text in enumerate(texts):
        if len(text) > limits["MAX_TEXT_CHARS"]:
            raise ApiError(422, "text_too_long", f"text {index} has {len(text)} characters; "
                                                 f"at most {limits['MAX_TEXT_CHARS']}")
    return texts, options


@bp.post("/classify")
def classify():
    """Label every sentence of one text or a batch of texts."""
    texts, options = _parse_classify_request()
    model = _model()   # one reference for the whole request
    results = classify_texts(model, texts, **options)
    return jsonify({"model": {"version": model.version, "created": model.manifest.get("created"),
                              "labels": model.label_ids},
                    "results": results})


@bp.get("/health")
def health():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/ready")
def ready():
    """Readiness: a model is loaded."""
    model = current_app.extensions.get("casus_model")
    if model is None:
        return jsonify({"ready": False,
                        "reason": str(current_app.extensions.get("casus_model_error"))}), 503
    return jsonify({"ready": True, "model": model.version})


@bp.get("/model")
def model_info():
    """The active version's manifest, including its metrics."""
    return jsonify(_model().manifest)


@bp.get("/labels")
def labels():
    """The served model's label ids and definitions."""
    model = _model()
    definitions = model.manifest.get("label_definitions", {})
    return jsonify({"labels": [{"id": label, "definition": definitions.get(label, "")}
                               for label in model.label_ids]})


def _spec():
    model = current_app.extensions.get("casus_model")
    return openapi_spec(model.label_ids if model else [])


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description, for the served model's labels."""
    return jsonify(_spec())


@bp.get("/docs")
def docs():
    """A readable API reference."""
    return render_docs(_spec()), 200, {"Content-Type": "text/html; charset=utf-8"}
