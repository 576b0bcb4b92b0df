"""Versioned artifacts: atomic writes, and a loader that refuses anything untrustworthy."""
import json

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from train import artifacts
from train.artifacts import ModelLoadError, load_model, save_version, set_active
from train.predict import predict

LABELS = ["accusation", "self_defence", "legal_appeal", "negotiation"]


def manifest(version="v1"):
    return {"version": version, "labels": LABELS,
            "thresholds": {label: 0.5 for label in LABELS}}


@pytest.fixture
def saved(tmp_path, tiny):
    pipeline = tiny.pipeline
    save_version(pipeline, manifest(), tmp_path)
    set_active("v1", tmp_path)
    return tmp_path, pipeline


def test_round_trip_gives_the_same_scores(saved, tiny):
    root, pipeline = saved
    model = load_model(root=root)
    assert model.version == "v1" and model.label_ids == LABELS
    scores = [[r["scores"][label] for label in LABELS] for r in predict(model, tiny.texts)]
    assert np.allclose(scores, pipeline.predict_proba(tiny.texts))


def test_manifest_records_hash_and_libraries(saved):
    root, _ = saved
    written = json.loads((root / "v1" / "manifest.json").read_text())
    assert len(written["model_sha256"]) == 64
    assert written["libraries"] == artifacts.library_versions()


def test_tampered_and_truncated_files_are_refused(saved):
    root, _ = saved
    path = root / "v1" / "model.skops"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model(root=root)
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_model(root=root)


def test_other_library_versions_are_refused(saved):
    root, _ = saved
    path = root / "v1" / "manifest.json"
    written = json.loads(path.read_text())
    written["libraries"]["scikit-learn"] = "0.0.1"
    path.write_text(json.dumps(written))
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.0\.1 \(installed: "):
        load_model(root=root)


def test_untrusted_types_are_refused(tmp_path):
    # A perfectly valid file whose hash matches, holding a type outside the trusted list.
    pipeline = Pipeline([("features", FunctionTransformer(json.dumps)), ("classify", None)])
    save_version(pipeline, manifest(), tmp_path)
    with pytest.raises(ModelLoadError, match="untrusted types"):
        load_model("v1", root=tmp_path)


def test_missing_model_and_missing_version(tmp_path):
    with pytest.raises(ModelLoadError, match="no active model"):
        load_model(root=tmp_path)
    with pytest.raises(ModelLoadError, match="no complete model version"):
        set_active("nope", tmp_path)


def test_versions_list_ignores_half_written_directories(saved):
    root, pipeline = saved
    (root / ".tmp-v2-abc").mkdir()
    (root / "v0-incomplete").mkdir()
    save_version(pipeline, manifest("v3"), root)
    assert artifacts.list_versions(root) == ["v1", "v3"]
    assert artifacts.active_version(root) == "v1"
    set_active("v3", root)
    assert artifacts.active_version(root) == "v3"
