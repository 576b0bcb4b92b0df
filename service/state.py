"""What a request reaches through the app: the served model, the example store and the
checker of new examples. The store and checker are made on first use, so a read-only
deployment never creates the data directory."""
from flask import current_app, g

from train.intake import Gatekeeper
from train.labelset import load_labelset
from train.store import ExampleStore

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
    """The app's example store (``DATA_DIR``)."""
    if "casus_store" not in current_app.extensions:
        current_app.extensions["casus_store"] = ExampleStore(current_app.config["DATA_DIR"])
    return current_app.extensions["casus_store"]


def get_gatekeeper():
    """The checker for new examples, against the training label set (``LABELS_FILE``)."""
    if "casus_gatekeeper" not in current_app.extensions:
        labelset = load_labelset(current_app.config["LABELS_FILE"])
        current_app.extensions["casus_gatekeeper"] = Gatekeeper(labelset, get_store())
    return current_app.extensions["casus_gatekeeper"]
