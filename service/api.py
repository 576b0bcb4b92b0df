"""Routes: parse and check the request, call one function, format the answer."""
import logging
import time

from flask import Blueprint, current_app, g, jsonify

from .classified_log import classified_logger
from .classify import classify_texts
from .drift import label_masks
from .errors import ApiError, without_paths
from .metrics import record_classification
from .openapi import openapi_spec
from .parsing import check_unicode, json_object
from .state import current_model

bp = Blueprint("api", __name__)

_FIELDS = {"text", "texts", "split", "explain"}


def _parse_classify_request():
    """The texts and options of a /classify request, or an ApiError saying what is wrong."""
    body = json_object(_FIELDS, required=True)
    if ("text" in body) == ("texts" in body):
        raise ApiError(400, "invalid_request", "give exactly one of 'text' or 'texts'")
    items = [body["text"]] if "text" in body else body["texts"]
    if not isinstance(items, list) or not items:
        raise ApiError(400, "invalid_request", "'texts' must be a non-empty list of strings "
                                               "or {\"id\": ..., \"text\": ...} objects")
    texts, ids = [], []
    for index, item in enumerate(items):
        text, text_id = _text_and_id(item, index, "text" in body)
        texts.append(text)
        ids.append(text_id)
    for index, text in enumerate(texts):
        if not text.strip():
            raise ApiError(400, "empty_text", f"text {index} is empty or only white space")
        check_unicode(text, f"text {index}")
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
    return texts, ids, options


def _text_and_id(item, index, single):
    """A ``texts`` item: a string, or an object with ``text`` and an optional ``id`` (a
    string or an integer, echoed in its result); ``text`` itself must be a string."""
    if isinstance(item, str):
        return item, None
    if single or not isinstance(item, dict):
        raise ApiError(400, "invalid_request", f"text {index} is not a string"
                       + ("" if single else " or an {\"id\": ..., \"text\": ...} object"))
    unknown = sorted(set(item) - {"id", "text"})
    if unknown:
        raise ApiError(400, "invalid_request", f"text {index} has unknown field(s) "
                                               f"{', '.join(unknown)}; allowed: id, text")
    if not isinstance(item.get("text"), str):
        raise ApiError(400, "invalid_request", f"text {index} has no 'text' string")
    text_id = item.get("id")
    if "id" in item and (isinstance(text_id, bool) or not isinstance(text_id, (str, int))):
        raise ApiError(400, "invalid_request", f"text {index}: 'id' must be a string or an "
                                               "integer")
    if isinstance(text_id, str):
        check_unicode(text_id, f"text {index} id")
    return item["text"], text_id


@bp.post("/classify")
def classify():
    """Label every sentence of one text or a batch of texts."""
    texts, ids, options = _parse_classify_request()
    model = current_model()
    deadline = time.monotonic() + current_app.config["TIME_BUDGET_SECONDS"]
    results = classify_texts(model, texts, deadline=deadline,
                             max_sentences=current_app.config["MAX_SENTENCES"], **options)
    for result, text_id in zip(results, ids):
        if text_id is not None:
            result["id"] = text_id
    _monitor(results, model, texts)
    if current_app.config["LOG_CLASSIFIED"]:
        _log_classified(results, model.version)
    return jsonify({"model": {"version": model.version, "created": model.manifest.get("created"),
                              "labels": model.label_ids},
                    "results": results})


def _monitor(results, model, texts):
    """Count the answer for /metrics, add its labels to the drift window, and note its
    size (and, if the operator asked for it, its texts) for the access log."""
    if current_app.config["METRICS"] != "off":
        record_classification(results, model)
    current_app.extensions["casus_drift"].append(label_masks(results, model), model)
    g.casus_sentences = sum(len(r["sentences"]) for r in results)
    if current_app.config["LOG_TEXT"]:
        g.casus_texts = texts


def _log_classified(results, version):
    """Queue the sentences for GET /review (opt-in); a background thread writes them
    (service/classified_log.py), so the answer never waits for the disk, and a full
    queue or a logging failure never costs the user their answer."""
    try:
        classified_logger().submit([s["text"] for r in results for s in r["sentences"]],
                                   version)
    except Exception:
        logging.getLogger("casus").exception("could not log classified sentences")


@bp.get("/health")
def health():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/ready")
def ready():
    """Readiness: a model is loaded. ``problem`` says when it is not the active one."""
    holder = current_app.extensions["casus_holder"]
    if holder.model is None:
        return jsonify({"ready": False, "reason": without_paths(holder.error)}), 503
    body = {"ready": True, "model": holder.model.version}
    if holder.error:
        body["problem"] = without_paths(holder.error)
    return jsonify(body)


@bp.get("/model")
def model_info():
    """The active version's manifest, including its metrics."""
    return jsonify(current_model().manifest)


@bp.get("/labels")
def labels():
    """The served model's label ids, definitions and thresholds (a label is assigned when
    its score is at least its threshold)."""
    model = current_model()
    definitions = model.manifest.get("label_definitions", {})
    return jsonify({"labels": [{"id": label, "definition": definitions.get(label, ""),
                                "threshold": model.thresholds[label]}
                               for label in model.label_ids]})


def _spec():
    model = current_app.extensions["casus_holder"].model
    return openapi_spec(model.label_ids if model else [])


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description, for the served model's labels."""
    return jsonify(_spec())
