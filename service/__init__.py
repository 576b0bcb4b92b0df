"""The casus web service: ``create_app`` builds a Flask app around a loaded model.

Settings (environment variables, read when the app is created):

- ``CASUS_MODEL_DIR``: model versions directory (default ``model_artifacts/``);
- ``CASUS_DATA_DIR``: example store directory (default ``var/``);
- ``CASUS_ADMIN_TOKEN``: bearer token for the write endpoints (unset: they answer 403);
- ``CASUS_LOG_CLASSIFIED``: ``1`` keeps classified sentences for GET /review (default off);
- ``CASUS_MODEL_WATCH_SECONDS``: how often a worker looks for a new active version
  (default 1; 0 turns hot swapping off);
- ``CASUS_TRAIN_ARGS``: extra ``python -m train`` options for POST /train jobs;
- ``CASUS_LABELS_FILE``: the label set for new examples and training jobs;
- ``CASUS_MAX_BODY_BYTES`` (default 1 MiB), ``CASUS_MAX_TEXTS`` (default 1000),
  ``CASUS_MAX_TEXT_CHARS`` (default 100000), ``CASUS_MAX_SENTENCES`` (sentences in
  one request, default 20000);
- ``CASUS_TIME_BUDGET_SECONDS``: how long one /classify request may compute before it
  is answered 503 ``time_budget_exceeded`` (default 10; gunicorn kills a worker silent
  for 30);
- ``CASUS_METRICS``: ``open`` (default), ``token`` or ``off`` for GET /metrics, and
  ``CASUS_METRICS_PORT`` to serve them on a port of their own (``service/metrics.py``);
- ``CASUS_DRIFT_WINDOW`` (sentences, default 10000), ``CASUS_DRIFT_THRESHOLD`` (PSI,
  default 0.25) and ``CASUS_DRIFT_FILE`` (the window shared by the workers; default a
  file in the server's metrics directory) for GET /drift (``service/drift.py``);
- ``CASUS_LOG_FORMAT``: ``text`` (default) or ``json`` (one JSON object per line, with
  the request id, route, status, duration, sentences and model version; never the text
  unless ``CASUS_LOG_TEXT=1``).
"""
import logging
import os
import shlex
from pathlib import Path

from flask import Flask, g, request

from train.model.labelset import DEFAULT_LABELS_FILE
from train.model.versions import DEFAULT_ROOT
from train.retraining.store import data_dir_from_env

from .admin import admin_bp
from .api import bp
from .errors import register_error_handlers
from .docs import docs_blueprint
from .drift import THRESHOLD, WINDOW, DriftWindow
from .holder import ModelHolder
from .metrics import default_drift_file, monitoring_bp, record_request, start_timer
from .page import page_bp
from .requestlog import (REQUEST_ID_HEADER, log_access, new_request_id, take_request_id,
                         use_json_logs)

VERSION_HEADER = "X-Casus-Model-Version"


def _settings():
    env = os.environ
    return {"MODEL_DIR": env.get("CASUS_MODEL_DIR", str(DEFAULT_ROOT)),
            "DATA_DIR": str(data_dir_from_env()),
            "LABELS_FILE": env.get("CASUS_LABELS_FILE", str(DEFAULT_LABELS_FILE)),
            "ADMIN_TOKEN": env.get("CASUS_ADMIN_TOKEN") or None,
            "LOG_CLASSIFIED": env.get("CASUS_LOG_CLASSIFIED", "").lower() in ("1", "true",
                                                                              "yes"),
            "MODEL_WATCH_SECONDS": float(env.get("CASUS_MODEL_WATCH_SECONDS", 1.0)),
            "TRAIN_ARGS": shlex.split(env.get("CASUS_TRAIN_ARGS", "")),
            "MAX_CONTENT_LENGTH": int(env.get("CASUS_MAX_BODY_BYTES", 1 << 20)),
            "MAX_TEXTS": int(env.get("CASUS_MAX_TEXTS", 1000)),
            "MAX_TEXT_CHARS": int(env.get("CASUS_MAX_TEXT_CHARS", 100_000)),
            # 190,000 one-word sentences fit in 1 MiB and their answer (45 MB, 3.9 s with
            # explanations, mostly after the time budget's last look) in none; 20,000 is
            # a 1 MiB body of ordinary prose three times over.
            "MAX_SENTENCES": int(env.get("CASUS_MAX_SENTENCES", 20_000)),
            "TIME_BUDGET_SECONDS": float(env.get("CASUS_TIME_BUDGET_SECONDS", 10)),
            "METRICS": env.get("CASUS_METRICS", "open").lower(),
            "METRICS_PORT": int(env["CASUS_METRICS_PORT"]) if env.get("CASUS_METRICS_PORT")
            else None,
            "DRIFT_WINDOW": int(env.get("CASUS_DRIFT_WINDOW", WINDOW)),
            "DRIFT_THRESHOLD": float(env.get("CASUS_DRIFT_THRESHOLD", THRESHOLD)),
            "DRIFT_FILE": env.get("CASUS_DRIFT_FILE") or None,
            "LOG_FORMAT": env.get("CASUS_LOG_FORMAT", "text").lower(),
            "LOG_TEXT": env.get("CASUS_LOG_TEXT", "").lower() in ("1", "true", "yes")}


def create_app(test_config=None, model=None):
    """Build the app. ``model`` (a LoadedModel) is served as given and never swapped;
    otherwise the active version in ``MODEL_DIR`` is loaded now and watched, and a
    failure leaves the app up but not ready."""
    app = Flask(__name__)
    app.json.sort_keys = False
    app.config.update(_settings())
    if test_config:
        app.config.update(test_config)
    token = app.config["ADMIN_TOKEN"]
    if token and token != token.strip():
        # a token pasted with a newline or spaces would lock every writer out silently
        logging.getLogger("casus").warning("CASUS_ADMIN_TOKEN has white space around it; "
                                           "it is used without")
        app.config["ADMIN_TOKEN"] = token.strip() or None
    # absolute, because training jobs run in their own process from the project root
    for key in ("MODEL_DIR", "DATA_DIR", "LABELS_FILE"):
        app.config[key] = str(Path(app.config[key]).resolve())
    if app.config["METRICS"] not in ("open", "token", "off"):
        raise ValueError(f"CASUS_METRICS must be open, token or off, not "
                         f"{app.config['METRICS']!r}")
    if app.config["LOG_FORMAT"] not in ("text", "json"):
        raise ValueError(f"CASUS_LOG_FORMAT must be text or json, not "
                         f"{app.config['LOG_FORMAT']!r}")
    logging.getLogger("casus").setLevel(logging.INFO)
    if app.config["LOG_FORMAT"] == "json":
        use_json_logs()
    if model is None:
        holder = ModelHolder(app.config["MODEL_DIR"],
                             interval=app.config["MODEL_WATCH_SECONDS"])
        holder.load_initial()
    else:
        holder = ModelHolder(model=model)
    app.extensions["casus_holder"] = holder
    app.extensions["casus_drift"] = DriftWindow(
        app.config["DRIFT_FILE"] or default_drift_file(), app.config["DRIFT_WINDOW"],
        app.config["DRIFT_THRESHOLD"])

    @app.before_request
    def _watch_models():
        holder.watch()   # starts once per worker process, after gunicorn's fork
        start_timer()
        take_request_id()

    @app.after_request
    def _name_version(response):
        model = g.get("casus_model") or holder.model
        if model is not None:
            response.headers[VERSION_HEADER] = model.version
        response.headers[REQUEST_ID_HEADER] = g.get("casus_request_id") or new_request_id()
        if app.config["METRICS"] != "off":
            record_request(response)
        log_access(response, model)
        return response

    @app.after_request
    def _options_without_body(response):
        # Flask answers OPTIONS with an empty text/html 200; the answer is its Allow header
        if request.method == "OPTIONS" and response.status_code == 200 and \
                not response.get_data():
            response.status_code = 204
            del response.headers["Content-Type"]
        return response

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(page_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(docs_blueprint())
    register_error_handlers(app)
    return app
