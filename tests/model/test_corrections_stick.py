"""Corrections stick: after a retrain, the new version classifies at least 99% of the
stored corrections as corrected (issue 14), and the gate reports the share.

The corrections are the hard kind: training sentences the active model gets wrong even
though it was trained on them, sent back with their right labels, plus sentences written
for this test whose corrected labels differ from what a bag of words suggests. At the
default user weight the measured share was 99 of 100 (weights 1, 3 and 30 gave 13, 89
and 100 of 100); see the README.
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
    training, _ = partition(load_corpus(), load_split())
    results = predict(model, [e.text for e in training])
    wrong = [e for e, r in zip(training, results) if set(r["labels"]) != set(e.labels)]
    assert len(wrong) >= 96, f"only {len(wrong)} training sentences misclassified; 96 needed"
    chosen = random.Random(0).sample(wrong, 96)
    corrections = [Example(text=e.text, labels=e.labels, where="test",
                           meta={"conflict": e.meta["conflict"]}) for e in chosen]
    corrections += [Example(text=text, labels=labels, where="test", meta={})
                    for text, labels in WRITTEN]
    store = ExampleStore(tmp_path / "data")
    store.add(corrections, kind="correction")

    root = tmp_path / "models"
    result = retrain(store, root=root, folds=2, seed=0)
    kept = result["corrections"]
    assert kept["of"] == 100
    assert kept["kept"] >= 99, kept
    new = versions.load_model(result["candidate"]["version"], root)
    answers = predict(new, [e.text for e in corrections])
    assert sum(set(a["labels"]) == set(e.labels) for a, e in zip(answers, corrections)) \
        == kept["kept"]
    assert new.manifest["data"]["user_weight"] == result["user_weight"]
