"""Training: reproducible from data and seed, never touching the test split."""
import json

import numpy as np
import pytest

from train.model.predict import predict
from train.model.versions import active_version, list_versions, load_model
from train.pipeline.candidates import build_candidates
from train.pipeline.corpus import corpus_files
from train.pipeline.split import load_split
from train.pipeline.training import tune_thresholds


def small_training_set():
    held = set(load_split()["test_conflicts"])
    return [p for p in corpus_files() if p.stem not in held][:4]


@pytest.mark.slow
def test_same_data_and_seed_give_the_same_predictions(tmp_path):
    from train.pipeline.training import train_model
    first_name = next(iter(build_candidates()))
    runs = []
    for _ in range(2):
        candidates = {first_name: build_candidates(random_state=7)[first_name]}
        manifest = train_model(paths=small_training_set(), seed=7, folds=2, root=tmp_path,
                               candidates=candidates)
        runs.append(manifest)
    assert runs[0]["version"] != runs[1]["version"]
    assert runs[0]["thresholds"] == runs[1]["thresholds"]
    assert runs[0]["data"]["sha256"] == runs[1]["data"]["sha256"]
    assert runs[0]["data"]["test_sentences"] == 0      # only training conflicts were given
    assert list_versions(tmp_path) == sorted(m["version"] for m in runs)
    assert active_version(tmp_path) == runs[1]["version"]
    probe = ["They shelled the port.", "We call for restraint and talks.", "It rained."]
    a = predict(load_model(runs[0]["version"], tmp_path), probe)
    b = predict(load_model(runs[1]["version"], tmp_path), probe)
    assert a == b


def test_thresholds_maximise_out_of_fold_f1():
    y = np.array([[1], [1], [0], [0], [0]])
    scores = np.array([[0.9], [0.35], [0.3], [0.2], [0.1]])
    # 0.31..0.35 catch both positives and no negative; the lowest such grid point wins
    assert tune_thresholds(y, scores, ["x"]) == {"x": 0.31}


def test_the_choice_made_on_real_text_moves_only_its_own_candidates_thresholds():
    from train.pipeline.training import shipped_thresholds
    entry = {"name": "lr", "thresholds": {"accusation": 0.4, "negotiation": 0.9}}
    choice = {"candidate": "lr", "threshold_shifts": {"accusation": 0.15, "negotiation": 0.1}}
    assert shipped_thresholds(entry, choice) == {"accusation": 0.55, "negotiation": 0.95}
    assert shipped_thresholds(entry, dict(choice, candidate="svm")) == entry["thresholds"]
    assert shipped_thresholds(entry, None) == entry["thresholds"]


def test_a_model_choice_that_names_nothing_known_is_refused(tmp_path):
    from train.pipeline.training import load_model_choice
    path = tmp_path / "model_choice.json"
    assert load_model_choice(path) is None
    path.write_text(json.dumps({"candidate": "lr", "threshold_shifts": {"accusation": 0.1}}))
    assert load_model_choice(path, candidate_names=["lr"])["candidate"] == "lr"
    for wrong in ({"candidate": "gpt", "threshold_shifts": {}},
                  {"candidate": "lr", "shifts": {"accusation": 0.1}},
                  {"candidate": "lr", "threshold_shifts": {"accusation": "high"}}):
        path.write_text(json.dumps(wrong))
        with pytest.raises(ValueError, match="--choice"):
            load_model_choice(path, candidate_names=["lr"])
