"""Writing a fitted pipeline as a model version, and reading the pipeline back: the
training side of ``train.model.versions`` (which loads, verifies and activates versions
and never imports scikit-learn or skops).

Pipelines are stored with skops, never pickle: reading one back refuses any type not
listed in ``TRUSTED_TYPES``, after the same checks as ``load_model``.
"""
import json
import os
import tempfile
from pathlib import Path

import numpy

from train.model.normalise import NORMALISE_VERSION
from train.model.versions import (DEFAULT_ROOT, MANIFEST_FILE, MODEL_FILE, SERVING_FILE,
                                  ModelLoadError, check_version_name, file_sha256,
                                  library_versions, seal_manifest, verify_version)

from .compile_serving import compile_pipeline

#: Types a casus model may hold beyond skops' own safe defaults (scikit-learn estimators,
#: numpy and scipy containers). A file naming anything else is refused before loading.
#: Named by module path: a version saved before a module moved is served from its
#: ``serving.npz`` as before, but its pipeline no longer reads back (retrain it).
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "train.pipeline.charngrams.CharNgramCounter",
    "train.model.normalise.normalise_text",
]


def save_version(pipeline, manifest, root=DEFAULT_ROOT):
    """Write a complete version directory under a temporary name, then rename it into
    place, so a crash never leaves a half-written version under a real name."""
    import skops.io   # here, not at the top: the CLI's other commands do not need it
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    version = manifest["version"]
    check_version_name(version)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=root))
    for _, step in pipeline.named_steps["features"].transformer_list:
        if hasattr(step, "stop_words_"):   # every pruned term: most of the file, never used
            del step.stop_words_
    skops.io.dump(pipeline, staging / MODEL_FILE)
    with open(staging / SERVING_FILE, "wb") as handle:
        numpy.savez(handle, **compile_pipeline(pipeline))
    manifest = seal_manifest(dict(manifest, normalise_version=NORMALISE_VERSION,
                                  model_file=MODEL_FILE,
                                  model_sha256=file_sha256(staging / MODEL_FILE),
                                  serving_file=SERVING_FILE,
                                  serving_sha256=file_sha256(staging / SERVING_FILE),
                                  libraries=library_versions()))
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.rename(staging, root / version)
    return root / version


def load_pipeline(version, root=DEFAULT_ROOT):
    """A version's fitted scikit-learn pipeline (``model.skops``), for the training side
    (evaluating the pipeline itself, checking the serving form against it): the same
    checks as ``load_model``, and skops refuses any type outside ``TRUSTED_TYPES``."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException
    _, path = verify_version(version, root)
    try:
        # skops refuses, before building anything, any type outside TRUSTED_TYPES and its
        # own safe defaults; one pass over the file does both the check and the load.
        return skops.io.load(path, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ModelLoadError(f"model {version} contains untrusted types: {exc}") from exc
    except Exception as exc:  # skops raises many types for a damaged archive
        raise ModelLoadError(f"model file {path} cannot be read: {exc}") from exc
