"""Versioned artifacts: atomic writes, and a loader that refuses anything untrustworthy."""
import hashlib
import json
import os
import threading

import numpy as np
import pytest
import skops.io
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from train.model import versions
from train.model.normalise import NORMALISE_VERSION
from train.model.predict import predict
from train.model.versions import (ModelLoadError, load_model, seal_manifest, set_active,
                                  verify_version)
from train.pipeline import saving
from train.pipeline.saving import save_version

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
    assert written["libraries"] == versions.library_versions()


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
    path.write_text(json.dumps(seal_manifest(written)))   # as if really built with it
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.0\.1 \(installed: "):
        load_model(root=root)


def write_legacy_version(root, pipeline, version="v1"):
    """A version as saved before serving.npz existed: only the skops file and manifest."""
    directory = root / version
    directory.mkdir(parents=True)
    skops.io.dump(pipeline, directory / "model.skops")
    digest = hashlib.sha256((directory / "model.skops").read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(seal_manifest(dict(
        manifest(version), model_file="model.skops", model_sha256=digest,
        libraries=versions.library_versions()))))


def test_untrusted_types_are_refused(tmp_path):
    # A perfectly valid file whose hash matches, holding a type outside the trusted list.
    write_legacy_version(tmp_path, Pipeline([("features", FunctionTransformer(json.dumps)),
                                             ("classify", None)]))
    with pytest.raises(ModelLoadError, match="untrusted types"):
        saving.load_pipeline("v1", root=tmp_path)


def test_a_version_without_serving_file_is_refused_with_what_to_do(tmp_path, tiny):
    write_legacy_version(tmp_path, tiny.pipeline)
    with pytest.raises(ModelLoadError, match="before serving.npz.*python -m train"):
        load_model("v1", root=tmp_path)
    assert saving.load_pipeline("v1", root=tmp_path).predict_proba(tiny.texts).shape \
        == (len(tiny.texts), len(LABELS))


def test_a_tampered_serving_file_is_refused(saved):
    root, _ = saved
    path = root / "v1" / versions.SERVING_FILE
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
    assert versions.list_versions(root) == ["v1", "v3"]
    assert versions.active_version(root) == "v1"
    set_active("v3", root)
    assert versions.active_version(root) == "v3"


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
    assert versions.active_version(root) in ("v1", "v2")
    lines = (root / versions.HISTORY_FILE).read_text().splitlines()
    assert len(lines) == 1 + 160 and all(json.loads(line)["version"] for line in lines)
    assert not [p for p in root.iterdir() if p.name.startswith(".ACTIVE.")]


def edit_manifest(root, version, change):
    """Apply ``change`` to a version's manifest on disk, as a hand edit would."""
    path = root / version / versions.MANIFEST_FILE
    written = json.loads(path.read_text())
    change(written)
    path.write_text(json.dumps(written, indent=1))


@pytest.mark.parametrize("change", [
    lambda m: m["thresholds"].update(accusation=0.05),
    lambda m: m["labels"].reverse(),
    lambda m: m.update(version="v1 "),
    lambda m: m.pop(versions.MANIFEST_HASH),
    lambda m: m.update({versions.MANIFEST_HASH: "0" * 64}),
], ids=["threshold", "label order", "other field", "hash removed", "hash replaced"])
def test_an_edited_manifest_is_refused_on_load_and_on_activation(saved, change):
    root, _ = saved
    save_version(saved[1], manifest("v2"), root)
    assert load_model("v2", root).thresholds["accusation"] == 0.5
    edit_manifest(root, "v2", change)
    with pytest.raises(ModelLoadError, match="manifest_sha256|SHA-256"):
        load_model("v2", root)
    with pytest.raises(ModelLoadError, match="manifest_sha256|SHA-256"):
        verify_version("v2", root)                       # what every activation calls
    assert versions.active_version(root) == "v1"


def test_the_manifest_hash_ignores_layout_only(saved):
    root, _ = saved
    path = root / "v1" / versions.MANIFEST_FILE
    path.write_text(json.dumps(dict(reversed(json.loads(path.read_text()).items()))))
    assert load_model(root=root).version == "v1"


def test_a_manifest_from_before_hashing_can_be_sealed_once_its_files_check_out(saved):
    root, _ = saved
    edit_manifest(root, "v1", lambda m: m.pop(versions.MANIFEST_HASH))
    with pytest.raises(ModelLoadError, match="python -m train seal"):
        load_model(root=root)
    versions.seal_version("v1", root)
    assert load_model(root=root).version == "v1"
    with pytest.raises(ModelLoadError, match="already sealed"):
        versions.seal_version("v1", root)
    save_version(saved[1], manifest("v2"), root)
    edit_manifest(root, "v2", lambda m: m.pop(versions.MANIFEST_HASH))
    (root / "v2" / versions.MODEL_FILE).write_bytes(b"not the model")
    with pytest.raises(ModelLoadError, match="does not match the SHA-256"):
        versions.seal_version("v2", root)
    assert versions.MANIFEST_HASH not in versions.read_manifest("v2", root)


@pytest.mark.parametrize("pointer", ["../elsewhere", "/tmp", "..", ".", "v1/../v1",
                                     ".tmp-v1-abc", "", "v1\x00"])
def test_active_must_name_a_plain_version(saved, pointer):
    root, _ = saved
    (root / versions.ACTIVE_FILE).write_text(pointer + "\n")
    with pytest.raises(ModelLoadError, match="ACTIVE.*not a version name"):
        load_model(root=root)


@pytest.mark.parametrize("name", ["../elsewhere", "/tmp/v1", "..", "a/b", ".hidden"])
def test_versions_are_refused_by_name_everywhere(saved, name):
    root, _ = saved
    for call in (lambda: load_model(name, root), lambda: set_active(name, root),
                 lambda: verify_version(name, root),
                 lambda: versions.read_manifest(name, root)):
        with pytest.raises(ModelLoadError, match="not a version name"):
            call()
    assert versions.active_version(root) == "v1"


def outside_copy(root, tmp_path):
    """A complete, valid copy of v1 outside the versions directory."""
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    save_version(load_pipeline(root), manifest("v9"), outside)
    return outside / "v9"


def load_pipeline(root):
    return saving.load_pipeline("v1", root)


def test_a_version_symlinked_outside_the_model_directory_is_refused(saved, tmp_path):
    root, _ = saved
    outside = outside_copy(root, tmp_path)
    assert load_model("v9", outside.parent).version == "v9"   # sound where it lives
    os.symlink(outside, root / "v9")
    for call in (lambda: load_model("v9", root), lambda: set_active("v9", root),
                 lambda: verify_version("v9", root)):
        with pytest.raises(ModelLoadError, match="leads outside"):
            call()
    (root / versions.ACTIVE_FILE).write_text("v9\n")
    with pytest.raises(ModelLoadError, match="leads outside"):
        load_model(root=root)


@pytest.mark.parametrize("name", [versions.MANIFEST_FILE, versions.SERVING_FILE,
                                  versions.MODEL_FILE, "gate.json"])
def test_a_file_symlinked_outside_the_model_directory_is_refused(saved, tmp_path, name):
    root, _ = saved
    save_version(load_pipeline(root), manifest("v2"), root)
    (root / "v2" / "gate.json").write_text("{}")
    # the very same bytes, moved out and linked back: only the place is wrong
    moved = tmp_path.parent / f"{tmp_path.name}-{name}"
    os.replace(root / "v2" / name, moved)
    os.symlink(moved, root / "v2" / name)
    with pytest.raises(ModelLoadError, match="symlink leading outside"):
        load_model("v2", root)
    with pytest.raises(ModelLoadError, match="symlink leading outside"):
        set_active("v2", root)


def test_symlinks_inside_the_model_directory_are_fine(saved):
    root, _ = saved
    os.symlink("v1", root / "v1-alias")
    os.symlink(root / "v1", root / "v1-absolute-alias")
    assert load_model("v1-alias", root).version == "v1"
    assert load_model("v1-absolute-alias", root).version == "v1"


def test_a_model_trained_with_another_normalisation_is_refused(saved):
    root, _ = saved
    path = root / "v1" / versions.MANIFEST_FILE
    manifest = json.loads(path.read_text())
    assert manifest["normalise_version"] == NORMALISE_VERSION
    path.write_text(json.dumps(seal_manifest(dict(manifest, normalise_version=1))))
    with pytest.raises(ModelLoadError, match="normalisation version 1"):
        load_model("v1", root)
