"""Corrections stick: after a retrain, the new version classifies at least 99% of the
stored corrections as corrected (issue 14), and the gate reports the share.

The corrections are what a user sends back: sentences the active model got wrong on
text it never trained on (sentences of the frozen test split, used here in a scratch
store and model directory only), plus sentences written for this test. Measured with
two folds, weights 1, 3, 10 and 30 reproduced 85, 100, 99 and 100 of them; with the
default five folds and weight 10, 100 (see the README).
"""
import random

import pytest

from train.model import versions
from train.model.predict import predict
from train.pipeline.corpus import load_corpus
from train.pipeline.records import Example
from train.pipeline.split import load_split, partition
from train.retraining.retrain import retrain
from train.retraining.store import ExampleStore

#: Written for this test: narration read as a stance, and stance without its keyword.
WRITTEN = [
    ("The UN envoy met both delegations in the afternoon, his office said.", ()),
    ("Shelling was reported overnight near the ferry crossing, according to residents.", ()),
    ("Our units moved onto the ridge so that the harvest in the valley can be brought in "
     "safely, the defence ministry said.", ("self_defence",)),
    ("There will be no talks before our prisoners come home, the foreign minister told "
     "parliament.", ("negotiation",)),
]


@pytest.mark.slow
def test_a_retrain_reproduces_the_stored_corrections(model, tmp_path):
    _, test = partition(load_corpus(), load_split())
    results = predict(model, [e.text for e in test])
    wrong = [e for e, r in zip(test, results) if set(r["labels"]) != set(e.labels)]
    assert len(wrong) >= 96, f"only {len(wrong)} test sentences misclassified; 96 needed"
    chosen = random.Random(0).sample(wrong, 96)
    corrections = [Example(text=e.text, labels=e.labels, where="test",
                           meta={"conflict": e.meta["conflict"]}) for e in chosen]
    corrections += [Example(text=text, labels=labels, where="test", meta={})
                    for text, labels in WRITTEN]
    store = ExampleStore(tmp_path / "data")
    store.add(corrections, kind="correction")

    root = tmp_path / "models"
    result = retrain(store, root=root, folds=5, seed=0)
    kept = result["corrections"]
    assert kept["of"] == 100
    assert kept["kept"] >= 99, kept
    new = versions.load_model(result["candidate"]["version"], root)
    answers = predict(new, [e.text for e in corrections])
    assert sum(set(a["labels"]) == set(e.labels) for a, e in zip(answers, corrections)) \
        == kept["kept"]
    assert new.manifest["data"]["user_weight"] == result["user_weight"]
