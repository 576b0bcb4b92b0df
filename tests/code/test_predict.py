"""The prediction function's contract: labels over threshold, top label, scores, reasons."""
import numpy as np
import pytest

from train.model.predict import predict
from train.pipeline.compile_serving import compile_model


@pytest.fixture
def model(tiny):
    return compile_model(tiny.pipeline, label_ids=tiny.labels,
                         thresholds={"accusation": 0.3, "self_defence": 0.3,
                                     "legal_appeal": 0.3, "negotiation": 0.99},
                         manifest={"version": "t"})


def test_each_sentence_gets_labels_top_label_and_all_scores(model, tiny):
    results = predict(model, tiny.texts)
    assert len(results) == len(tiny.texts)
    for r in results:
        assert list(r["scores"]) == tiny.labels
        assert all(0.0 <= s <= 1.0 for s in r["scores"].values())
        assert r["labels"] == [l for l in tiny.labels if r["scores"][l] >= model.thresholds[l]]
        if r["labels"]:
            assert r["label"] == max(r["labels"], key=r["scores"].get)
        else:
            assert r["label"] == "none"
        assert "explanation" not in r


def test_thresholds_are_per_label(model):
    r = predict(model, ["We are ready for talks without preconditions."])[0]
    assert r["scores"]["negotiation"] < 0.99 and "negotiation" not in r["labels"]


def test_explanations_cover_assigned_labels_with_sentence_terms(model):
    sentence = "Their artillery shelled the market again."
    r = predict(model, [sentence], explain=True)[0]
    assert set(r["explanation"]) == set(r["labels"]) and "accusation" in r["labels"]
    for term, weight in r["explanation"]["accusation"]:
        assert weight > 0 and all(w in sentence.lower() for w in term.split())


def test_empty_input_gives_empty_output(model):
    assert predict(model, []) == []


def test_same_input_same_output(model, tiny):
    a, b = predict(model, tiny.texts), predict(model, list(tiny.texts))
    assert np.allclose([list(r["scores"].values()) for r in a],
                       [list(r["scores"].values()) for r in b])


@pytest.mark.parametrize("batch", [["!!!"], ["", "?"], ["x", "Their artillery shelled it."],
                                   ["zzqx unknownword"]])
def test_sentences_without_known_features_score_like_the_pipeline(model, tiny, batch):
    # a batch with no known word or n-gram at all once crashed the serving form
    scores = [[r["scores"][label] for label in tiny.labels] for r in predict(model, batch)]
    assert np.allclose(scores, tiny.pipeline.predict_proba(batch), rtol=0, atol=1e-12)
