"""Schemathesis against /openapi.json: generated requests to every operation, valid and
invalid, must never get a 5xx and every response must match the spec.

``make test`` runs a short version; ``make fuzz`` sets CASUS_FUZZ_EXAMPLES=100 for
1,000+ cases. The write endpoints are fuzzed with the token; POST /train finds the
training lock held, so no training process is started.
"""
import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from tiny_model import LABELS, fit_tiny

from service import create_app
from train.model.versions import set_active
from train.pipeline.saving import save_version
from train.retraining.jobs import training_lock
from train.retraining.store import ExampleStore

#: Checks that cannot hold where rows are judged one by one against stored data.
RELAXED = {"/examples": [positive_data_acceptance, negative_data_rejection],
           "/feedback": [positive_data_acceptance]}
#: ``make test`` runs a short, repeatable sample; ``make fuzz`` a long, random one.
RANDOM = os.environ.get("CASUS_FUZZ_RANDOM") == "1"
EXAMPLES = int(os.environ.get("CASUS_FUZZ_EXAMPLES", "15"))
#: ``make fuzz`` requires at least this many generated cases in all.
MIN_CASES = int(os.environ.get("CASUS_FUZZ_MIN_CASES", "0"))
CASES = {}
TOKEN = "fuzz-token"


def _build_app():
    """The app on a saved tiny model, with the token, logging on and a scratch store."""
    scratch = Path(tempfile.mkdtemp(prefix="casus-fuzz-"))
    pipeline = fit_tiny()
    save_version(pipeline, {"version": "v1", "labels": LABELS,
                            "thresholds": {label: 0.3 for label in LABELS}}, scratch / "models")
    set_active("v1", scratch / "models")
    return create_app({"MODEL_DIR": str(scratch / "models"), "DATA_DIR": str(scratch / "data"),
                       "ADMIN_TOKEN": TOKEN, "MODEL_WATCH_SECONDS": 0,
                       "LOG_CLASSIFIED": True})


APP = _build_app()
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def training_is_busy():
    """Hold the training lock, so POST /train answers 409 instead of starting a process;
    afterwards, report how many cases ran and check there were enough."""
    with training_lock(ExampleStore(APP.config["DATA_DIR"])):
        yield
    total = sum(CASES.values())
    print(f"\nschemathesis: {total} generated cases over {len(CASES)} method/path pairs "
          f"(documented operations and the methods they must refuse), "
          f"no 5xx, every response matching the spec: " +
          ", ".join(f"{name} {n}" for name, n in sorted(CASES.items())))
    assert total >= MIN_CASES, f"only {total} cases; at least {MIN_CASES} wanted"


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_response_matches_the_spec(case):
    # A stored example must pass rules no schema can state (not a repeat, not a
    # test-split sentence), so a schema-valid row may rightly get 422; and POST /examples
    # stores the good rows of a batch and reports the bad ones, so a batch with an
    # invalid row may rightly get 201. Everything else runs every check, including that
    # schema-valid requests are accepted and schema-invalid ones refused.
    excluded = RELAXED.get(case.path, [])
    name = f"{case.method} {case.path}"
    CASES[name] = CASES.get(name, 0) + 1
    if case.headers and "Authorization" in case.headers:
        # Generated requests carry a random bearer token; swap in the real one so they
        # reach the endpoint. Requests generated without it must get 401.
        case.headers["Authorization"] = f"Bearer {TOKEN}"
    case.call_and_validate(excluded_checks=excluded)
