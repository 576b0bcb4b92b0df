"""Retraining over HTTP: add examples and corrections, train behind the quality gate,
list and activate versions, and pick sentences to label next.

Writes (and /review, which shows stored text) need ``Authorization: Bearer <token>``
matching ``CASUS_ADMIN_TOKEN``; with no token configured they are switched off (403).
"""
import hmac
import json
from functools import wraps

from flask import Blueprint, current_app, jsonify, request, url_for

from train.model import versions
from train.retraining.catalogue import list_models
from train.retraining.intake import rows_to_examples
from train.retraining.jobs import (TrainingBusy, job_log_path, job_progress, job_status,
                                   start_job)

from .errors import ApiError, without_paths
from .parsing import check_unicode, json_object
from .review import least_certain
from .state import current_model, get_intake_check, get_store, store_exists

admin_bp = Blueprint("admin", __name__)

#: Most examples one POST /examples may carry.
MAX_EXAMPLES = 1000
#: Fields an example row may have (the corpus's own optional fields included).
EXAMPLE_FIELDS = {"text", "labels", "conflict", "speaker_role", "register", "id"}


def check_token():
    """Refuse the request unless it carries the configured bearer token (403 when no
    token is configured, 401 when it is missing or wrong)."""
    token = current_app.config.get("ADMIN_TOKEN")
    if not token:
        raise ApiError(403, "write_access_disabled",
                       "write endpoints are switched off; start the service with "
                       "CASUS_ADMIN_TOKEN=<a long random secret> to enable them")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ApiError(401, "unauthorized",
                       "send the admin token as 'Authorization: Bearer <token>'",
                       headers={"WWW-Authenticate": 'Bearer realm="casus"'})


def write_access(view):
    """Let the request through only with the configured bearer token."""
    @wraps(view)
    def checked(*args, **kwargs):
        check_token()
        return view(*args, **kwargs)
    return checked


def _rows_to_examples(rows, where_prefix, allowed=EXAMPLE_FIELDS):
    """Turn request rows into examples, collecting shape problems per row; a well-formed
    row that cannot be encoded (a lone surrogate) refuses the request."""
    return rows_to_examples(rows, where_prefix, allowed, check=lambda row, where: check_unicode(
        json.dumps(row, ensure_ascii=False), where))


def _store(examples, problems, kind, source):
    """Check, store what passes, and answer with the counts and every rejection."""
    intake = get_intake_check().check(examples, kind=kind, problems=problems)
    ids = get_store().add(intake.accepted, kind=kind, source=source,
                          added_by=request.headers.get("X-Casus-User"))
    body = dict(intake.as_dict(), ids=ids)
    if not intake.accepted and intake.rejected:
        raise ApiError(422, "nothing_accepted", "no example was accepted; see 'rejections'",
                       details=body)
    # every row already stored with the same labels: the same request sent again
    return jsonify(body), 201 if intake.accepted else 200


@admin_bp.post("/examples")
@write_access
def add_examples():
    """Add labelled examples for the next training."""
    body = json_object({"examples"}, required=True)
    rows = body.get("examples")
    if not isinstance(rows, list) or not rows:
        raise ApiError(400, "invalid_request", "'examples' must be a non-empty list of "
                                               "{\"text\": ..., \"labels\": [...]} objects")
    if len(rows) > MAX_EXAMPLES:
        raise ApiError(422, "too_many_examples", f"{len(rows)} examples; at most "
                                                 f"{MAX_EXAMPLES} per request")
    examples, problems = _rows_to_examples(rows, "examples")
    return _store(examples, problems, "example", "api")


#: Rows one GET /examples page holds by default and at most.
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
#: The largest row id or offset SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


@admin_bp.get("/examples")
@write_access
def list_examples():
    """The stored examples and corrections still in use, oldest first, a page at a time
    (``offset``, ``limit``); ``next`` is the following page's URL, or null."""
    unknown = sorted(set(request.args) - {"offset", "limit"})
    if unknown:
        raise ApiError(400, "invalid_request", f"unknown query parameter(s): "
                                               f"{', '.join(unknown)}; allowed: offset, limit")
    offset = _whole_number("offset", 0, 0, MAX_ID)
    limit = _whole_number("limit", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    total, rows = get_store().rows(offset, limit) if store_exists() else (0, [])
    following = offset + len(rows)
    return jsonify({"total": total, "offset": offset, "limit": limit, "examples": rows,
                    "next": url_for("admin.list_examples", offset=following, limit=limit)
                    if following < total else None})


def _whole_number(name, default, low, high):
    """Query parameter ``name`` as a whole number within [low, high]; 400 otherwise."""
    raw = request.args.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not low <= int(raw) <= high:
        bounds = f"from {low} to {high}"
        raise ApiError(400, "invalid_request", f"'{name}' must be a whole number {bounds}")
    return int(raw)


@admin_bp.delete("/examples/<int:example_id>")
@write_access
def delete_example(example_id):
    """Delete one stored example or correction (undo): training no longer uses it, and
    an earlier reading of the same sentence is the one in use again. The row is kept,
    marked with who deleted it and when."""
    if not store_exists() or example_id > MAX_ID:
        raise ApiError(404, "unknown_example", f"no stored example with id {example_id}")
    try:
        row = get_store().delete(example_id, deleted_by=request.headers.get("X-Casus-User"))
    except KeyError:
        raise ApiError(404, "unknown_example", f"no stored example with id {example_id}") from None
    except ValueError as exc:
        raise ApiError(409, "already_deleted", str(exc)) from None
    return jsonify({"deleted": row})


@admin_bp.post("/feedback")
@write_access
def feedback():
    """A correction: the right labels for one sentence (it replaces any earlier reading)."""
    body = json_object({"text", "labels", "version", "note"}, required=True)
    for name in ("version", "note"):
        if name in body and not isinstance(body[name], str):
            raise ApiError(400, "invalid_request", f"'{name}' must be a string")
    examples, problems = _rows_to_examples([body], "feedback",
                                           {"text", "labels", "version", "note"})
    return _store(examples, problems, "correction", "feedback")


@admin_bp.post("/train")
@write_access
def start_training():
    """Start a training job (one at a time); poll GET /train/<job> for the outcome."""
    body = json_object({"force"})
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ApiError(400, "invalid_request", "'force' must be true or false")
    config = current_app.config
    cli_args = ["--root", str(config["MODEL_DIR"]), "--labels", str(config["LABELS_FILE"]),
                *config["TRAIN_ARGS"]]
    try:
        job_id = start_job(get_store(), cli_args, force=force,
                           requested_by=request.headers.get("X-Casus-User"))
    except TrainingBusy as exc:
        raise ApiError(409, "training_in_progress", str(exc)) from None
    if force:
        current_app.logger.warning("training job %s started with force: the quality gate "
                                   "will not block it", job_id)
    location = url_for("admin.training_status", job_id=job_id)
    return jsonify({"job": job_id, "state": "queued", "status_url": location}), 202, \
        {"Location": location}


@admin_bp.get("/train/<job_id>")
def training_status(job_id):
    """A job's state, the candidate's and the active version's test figures, and the
    gate's decision with its reason."""
    job = job_status(get_store(), job_id) if store_exists() else None
    if job is None:
        raise ApiError(404, "unknown_job", f"no training job '{job_id}'")
    result = job.pop("result") or {}
    job.pop("pid", None)
    job.update({"candidate": result.get("candidate"), "active": result.get("active"),
                "promoted": result.get("promoted"), "reason": result.get("reason"),
                "seconds": result.get("seconds"), "user_domain": result.get("user_domain"),
                "corrections": result.get("corrections"),
                "progress": job_progress(job_log_path(get_store(), job_id), job["started_at"],
                                         finished=job["state"] not in ("queued", "running"))})
    return jsonify(job)


@admin_bp.get("/models")
def models():
    """Every version with its status and test figures; which one this worker serves."""
    listing = list_models(current_app.config["MODEL_DIR"])
    # the listing is for anyone; the server's paths are for its log
    for version in listing["versions"]:
        if "error" in version:
            version["error"] = without_paths(version["error"])
    if "active_error" in listing:
        listing["active_error"] = without_paths(listing["active_error"])
    holder = current_app.extensions["casus_holder"]
    listing["serving"] = holder.model.version if holder.model else None
    return jsonify(listing)


@admin_bp.post("/models/<version>/activate")
@write_access
def activate(version):
    """Make ``version`` active (rollback or roll forward, no gate); workers follow within
    a few seconds."""
    root = current_app.config["MODEL_DIR"]
    if version not in versions.list_versions(root):
        raise ApiError(404, "unknown_version", f"no complete model version '{version}'")
    try:
        versions.verify_version(version, root)
    except versions.ModelLoadError as exc:
        raise ApiError(422, "damaged_version", str(exc)) from None
    versions.set_active(version, root, reason="activated over HTTP")
    current_app.logger.warning("version %s activated over HTTP", version)
    return jsonify({"active": version})


@admin_bp.get("/review")
@write_access
def review():
    """Stored sentences the served model is least sure of: the ones to label next."""
    unknown = sorted(set(request.args) - {"n"})
    if unknown:
        raise ApiError(400, "invalid_request", f"unknown query parameter(s): "
                                               f"{', '.join(unknown)}; allowed: n")
    raw = request.args.get("n", "20")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 200:
        raise ApiError(400, "invalid_request", "'n' must be a whole number from 1 to 200")
    model = current_model()
    items = least_certain(model, get_store().unlabelled(), int(raw))
    body = {"model": model.version, "sentences": items}
    if not current_app.config["LOG_CLASSIFIED"]:
        body["note"] = ("logging of classified sentences is off (CASUS_LOG_CLASSIFIED=1 "
                        "turns it on), so only sentences logged earlier are reviewed")
    return jsonify(body)
