"""Versioned model artifacts: written atomically, loaded only through ``load_model``.

A version is a directory ``<root>/<version>/`` with ``model.skops`` and
``manifest.json``; ``<root>/ACTIVE`` names the version in use. Models are stored with
skops, never pickle: loading refuses any type not listed in ``TRUSTED_TYPES``, the
file's SHA-256 must match the manifest, and the library versions must match the ones it
was trained with.
"""
import fcntl
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from importlib.metadata import version as installed_version

import numpy

from .compact import CompactModel, compile_pipeline

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / "model_artifacts"
MODEL_FILE, MANIFEST_FILE, ACTIVE_FILE = "model.skops", "manifest.json", "ACTIVE"
SERVING_FILE = "serving.npz"
HISTORY_FILE = "history.jsonl"

#: Types a casus model may hold beyond skops' own safe defaults (scikit-learn estimators,
#: numpy and scipy containers). A file naming anything else is refused before loading.
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "train.charngrams.CharNgramCounter",
    "train.features.normalise_text",     # where models saved before 2026-11-28 find it
    "train.normalise.normalise_text",
]


class ModelLoadError(Exception):
    """A model version is missing, damaged, untrusted or built with other libraries."""


def library_versions():
    """The versions that must match between training and loading."""
    # read from package metadata: importing scikit-learn and skops would cost the service
    # about three seconds of start-up it does not otherwise need
    return {name: installed_version(name) for name in ("scikit-learn", "numpy", "scipy",
                                                        "skops")}


@dataclass
class LoadedModel:
    """A model ready for ``predict``: its serving form, label order, thresholds, manifest."""

    compact: CompactModel
    label_ids: list
    thresholds: dict
    manifest: dict

    @classmethod
    def from_pipeline(cls, pipeline, label_ids, thresholds, manifest):
        """Compile a fitted pipeline (in memory) into a servable model."""
        return cls(CompactModel(compile_pipeline(pipeline)), list(label_ids), thresholds,
                   manifest)

    @property
    def version(self):
        """The version id this model was saved under."""
        return self.manifest["version"]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_version(pipeline, manifest, root=DEFAULT_ROOT):
    """Write a complete version directory under a temporary name, then rename it into
    place, so a crash never leaves a half-written version under a real name."""
    import skops.io   # training-side only; see library_versions
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    version = manifest["version"]
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=root))
    for _, step in pipeline.named_steps["features"].transformer_list:
        if hasattr(step, "stop_words_"):   # every pruned term: most of the file, never used
            del step.stop_words_
    skops.io.dump(pipeline, staging / MODEL_FILE)
    with open(staging / SERVING_FILE, "wb") as handle:
        numpy.savez(handle, **compile_pipeline(pipeline))
    manifest = dict(manifest, model_file=MODEL_FILE,
                    model_sha256=_sha256(staging / MODEL_FILE), serving_file=SERVING_FILE,
                    serving_sha256=_sha256(staging / SERVING_FILE),
                    libraries=library_versions())
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.rename(staging, root / version)
    return root / version


def set_active(version, root=DEFAULT_ROOT, reason=""):
    """Point ``ACTIVE`` at ``version`` with an atomic replace, and append the change to
    ``history.jsonl`` (the record a service falls back along if a version goes bad).

    Activations are serialised with a lock on the versions directory, so a promotion and
    an activation at the same moment both complete, one after the other.
    """
    root = Path(root)
    if not (root / version / MANIFEST_FILE).is_file():
        raise ModelLoadError(f"no complete model version '{version}' in {root}")
    lock = os.open(root / ".activate.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        handle, staging = tempfile.mkstemp(prefix=f".{ACTIVE_FILE}.", dir=root)
        with os.fdopen(handle, "w", encoding="utf-8") as pointer:
            pointer.write(version + "\n")
            pointer.flush()
            os.fsync(pointer.fileno())
        os.chmod(staging, 0o644)
        os.replace(staging, root / ACTIVE_FILE)
        entry = {"version": version, "reason": reason,
                 "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with open(root / HISTORY_FILE, "a", encoding="utf-8") as history:
            history.write(json.dumps(entry) + "\n")
    finally:
        os.close(lock)


def activation_history(root=DEFAULT_ROOT):
    """Versions that have been active, most recent first (repeats removed)."""
    path = Path(root) / HISTORY_FILE
    if not path.is_file():
        return []
    versions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            versions.append(json.loads(line)["version"])
        except (ValueError, KeyError, TypeError):
            continue   # a line cut short by a crash
    return list(dict.fromkeys(reversed(versions)))


def incomplete_versions(root=DEFAULT_ROOT):
    """Half-written version directories (a crash while saving); never loaded."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith(".tmp-"))


def active_version(root=DEFAULT_ROOT):
    """The active version id, or None when no model has been built yet."""
    pointer = Path(root) / ACTIVE_FILE
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def list_versions(root=DEFAULT_ROOT):
    """Complete version ids, oldest first (ids sort by creation time)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST_FILE).is_file())


def read_manifest(version, root=DEFAULT_ROOT):
    """A version's manifest as a dict."""
    path = Path(root) / version / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read manifest {path}: {exc}") from exc


def verify_version(version, root=DEFAULT_ROOT):
    """Check a version without loading it: manifest readable, model files present and
    matching their SHA-256, libraries as installed. Returns ``(manifest, model path)``."""
    manifest = read_manifest(version, root)
    path = Path(root) / version / manifest.get("model_file", MODEL_FILE)
    files = [(path, manifest.get("model_sha256"))]
    if manifest.get("serving_file"):
        files.append((Path(root) / version / manifest["serving_file"],
                      manifest.get("serving_sha256")))
    for file, digest in files:
        if not file.is_file():
            raise ModelLoadError(f"model file {file} is missing")
        if _sha256(file) != digest:
            raise ModelLoadError(f"model file {file} does not match the SHA-256 in its "
                                 "manifest; it was changed or truncated after training")
    wanted, have = manifest.get("libraries", {}), library_versions()
    mismatched = {k: (v, have.get(k)) for k, v in wanted.items() if have.get(k) != v}
    if mismatched:
        detail = ", ".join(f"{k} {v[0]} (installed: {v[1]})" for k, v in mismatched.items())
        raise ModelLoadError(f"model {version} was built with {detail}; install the pinned "
                             "requirements or retrain")
    return manifest, path


def load_model(version=None, root=DEFAULT_ROOT):
    """The only way to load a model: checks hash, library versions and trusted types."""
    version = version or active_version(root)
    if version is None:
        raise ModelLoadError(f"no active model in {root}; build one with `python -m train`")
    manifest, path = verify_version(version, root)
    labels, thresholds = list(manifest["labels"]), manifest["thresholds"]
    if manifest.get("serving_file"):
        try:
            with numpy.load(path.parent / manifest["serving_file"], allow_pickle=False) as npz:
                compact = CompactModel({name: npz[name] for name in npz.files})
        except Exception as exc:  # hashed above, so only a bug or a disk error gets here
            raise ModelLoadError(f"{manifest['serving_file']} of {version} cannot be read: "
                                 f"{exc}") from exc
        return LoadedModel(compact, labels, thresholds, manifest)
    # A version saved before serving.npz existed: load the pipeline and compile it.
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException
    try:
        # skops refuses, before building anything, any type outside TRUSTED_TYPES and its
        # own safe defaults; one pass over the file does both the check and the load.
        pipeline = skops.io.load(path, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ModelLoadError(f"model {version} contains untrusted types: {exc}") from exc
    except Exception as exc:  # skops raises many types for a damaged archive
        raise ModelLoadError(f"model file {path} cannot be read: {exc}") from exc
    return LoadedModel.from_pipeline(pipeline, labels, thresholds, manifest)
