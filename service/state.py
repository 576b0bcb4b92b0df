"""What a request reaches through the app: the served model, the example store and the
checker of new examples. The store and checker are made on first use, so a read-only
deployment never creates the data directory."""
from pathlib import Path

from flask import current_app, g

from train.model.labelset import load_labelset
from train.retraining.intake import IntakeCheck
from train.retraining.store import STORE_FILE, ExampleStore

from .errors import ApiError


def current_model():
    """The model this request uses: taken once, so a swap mid-request cannot mix versions."""
    if "casus_model" not in g:
        holder = current_app.extensions["casus_holder"]
        if holder.model is None:
            raise ApiError(503, "model_unavailable", f"no model is loaded: {holder.error}")
        g.casus_model = holder.model
    return g.casus_model


def get_store():
    """The app's example store (``DATA_DIR``), created on first use; 503 if the data
    directory cannot be created or written (a read-only file system, wrong owner)."""
    if "casus_store" not in current_app.extensions:
        try:
            store = ExampleStore(current_app.config["DATA_DIR"])
        except OSError as exc:
            raise ApiError(503, "store_unavailable",
                           f"the example store cannot be opened ({exc.strerror or exc}); "
                           "check CASUS_DATA_DIR") from None
        current_app.extensions["casus_store"] = store
    return current_app.extensions["casus_store"]


def store_exists():
    """Whether the store file exists (reads must not create it)."""
    return "casus_store" in current_app.extensions or \
        (Path(current_app.config["DATA_DIR"]) / STORE_FILE).is_file()


def get_intake_check():
    """The checker for new examples, against the training label set (``LABELS_FILE``)."""
    if "casus_intake_check" not in current_app.extensions:
        labelset = load_labelset(current_app.config["LABELS_FILE"])
        current_app.extensions["casus_intake_check"] = IntakeCheck(labelset, get_store())
    return current_app.extensions["casus_intake_check"]
