"""Versioned artifacts: atomic writes, and a loader that refuses anything untrustworthy."""
import hashlib
import json
import threading

import numpy as np
import pytest
import skops.io
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
    assert np.allclose(scores, pipeline.predict_proba(tiny.texts), rtol=0, atol=1e-12)


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


def write_legacy_version(root, pipeline, version="v1"):
    """A version as saved before serving.npz existed: only the skops file and manifest."""
    directory = root / version
    directory.mkdir(parents=True)
    skops.io.dump(pipeline, directory / "model.skops")
    digest = hashlib.sha256((directory / "model.skops").read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(dict(
        manifest(version), model_file="model.skops", model_sha256=digest,
        libraries=artifacts.library_versions())))


def test_untrusted_types_are_refused(tmp_path):
    # A perfectly valid file whose hash matches, holding a type outside the trusted list.
    write_legacy_version(tmp_path, Pipeline([("features", FunctionTransformer(json.dumps)),
                                             ("classify", None)]))
    with pytest.raises(ModelLoadError, match="untrusted types"):
        load_model("v1", root=tmp_path)


def test_a_version_without_serving_file_is_compiled_from_its_pipeline(tmp_path, tiny):
    write_legacy_version(tmp_path, tiny.pipeline)
    scores = [[r["scores"][label] for label in LABELS]
              for r in predict(load_model("v1", root=tmp_path), tiny.texts)]
    assert np.allclose(scores, tiny.pipeline.predict_proba(tiny.texts), rtol=0, atol=1e-12)


def test_a_tampered_serving_file_is_refused(saved):
    root, _ = saved
    path = root / "v1" / artifacts.SERVING_FILE
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelLoadError, match="serving.npz does not match the SHA-256"):
        load_model(root=root)


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


def test_simultaneous_activations_all_complete_and_are_all_recorded(saved, tiny):
    root, pipeline = saved
    save_version(pipeline, manifest("v2"), root)
    errors = []

    def flip(version):
        for _ in range(40):
            try:
                set_active(version, root)
            except Exception as exc:   # noqa: BLE001 - any failure is the bug
                errors.append(exc)

    threads = [threading.Thread(target=flip, args=(v,)) for v in ("v1", "v2", "v1", "v2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert artifacts.active_version(root) in ("v1", "v2")
    lines = (root / artifacts.HISTORY_FILE).read_text().splitlines()
    assert len(lines) == 1 + 160 and all(json.loads(line)["version"] for line in lines)
    assert not [p for p in root.iterdir() if p.name.startswith(".ACTIVE.")]
