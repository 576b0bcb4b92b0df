"""Fixtures for the code suite: a tiny model trained in a second on ten sentences."""
from types import SimpleNamespace

import numpy as np
import pytest

from train.candidates import build_candidates

LABELS = ["accusation", "self_defence", "legal_appeal", "negotiation"]
TEXTS = [
    "Their artillery shelled the market again.", "They shelled the school and the clinic.",
    "We struck back to protect our villages.", "Our forces will respond to protect civilians.",
    "This breaches international law and the Charter.", "It violates international law.",
    "We are ready for talks without preconditions.", "We call for talks and a ceasefire.",
    "The ministers met on Friday.", "The weather was mild on Friday.",
]
Y = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
              [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])


@pytest.fixture
def tiny():
    """A freshly fitted small pipeline with its training texts and label order."""
    pipeline = list(build_candidates().values())[0].fit(TEXTS, Y)
    return SimpleNamespace(pipeline=pipeline, texts=TEXTS, labels=LABELS)


@pytest.fixture
def app(tiny):
    """A fresh service app around the tiny model, with small limits to test them."""
    from service import create_app
    from train.artifacts import LoadedModel
    model = LoadedModel(pipeline=tiny.pipeline, label_ids=tiny.labels,
                        thresholds={label: 0.3 for label in tiny.labels},
                        manifest={"version": "tiny-1", "created": "2026-11-28T00:00:00+00:00",
                                  "labels": tiny.labels,
                                  "label_definitions": {l: f"{l} def" for l in tiny.labels}})
    return create_app({"TESTING": True, "MAX_TEXTS": 3, "MAX_TEXT_CHARS": 500,
                       "MAX_CONTENT_LENGTH": 4096}, model=model)


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()
