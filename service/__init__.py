"""The casus web service: ``create_app`` builds a Flask app around a loaded model.

Settings (environment variables, read when the app is created):
``CASUS_MODEL_DIR`` (model versions directory, default ``model_artifacts/``),
``CASUS_MAX_BODY_BYTES`` (default 1 MiB), ``CASUS_MAX_TEXTS`` (default 1000),
``CASUS_MAX_TEXT_CHARS`` (default 100000).
"""
import os

from flask import Flask

from train.artifacts import DEFAULT_ROOT, ModelLoadError, load_model

from .api import bp
from .errors import register_error_handlers


def _settings():
    env = os.environ
    return {"MODEL_DIR": env.get("CASUS_MODEL_DIR", str(DEFAULT_ROOT)),
            "MAX_CONTENT_LENGTH": int(env.get("CASUS_MAX_BODY_BYTES", 1 << 20)),
            "MAX_TEXTS": int(env.get("CASUS_MAX_TEXTS", 1000)),
            "MAX_TEXT_CHARS": int(env.get("CASUS_MAX_TEXT_CHARS", 100_000))}


def create_app(test_config=None, model=None):
    """Build the app. ``model`` (a LoadedModel) is used as given; otherwise the active
    version in ``MODEL_DIR`` is loaded now, and a failure leaves the app up but not ready."""
    app = Flask(__name__)
    app.json.sort_keys = False
    app.config.update(_settings())
    if test_config:
        app.config.update(test_config)
    if model is None:
        try:
            model = load_model(root=app.config["MODEL_DIR"])
        except ModelLoadError as exc:
            app.extensions["casus_model_error"] = str(exc)
    app.extensions["casus_model"] = model
    app.register_blueprint(bp)
    register_error_handlers(app)
    return app
