"""Shared fixtures: the default label set, a helper that writes labelled files, and a
tiny model trained in a second on ten sentences (in memory or saved as versions)."""
import json
from types import SimpleNamespace

import pytest
from tiny_model import LABELS, TEXTS, fit_tiny

from train.model.labelset import load_labelset


@pytest.fixture
def labelset():
    """The default model's label set, as shipped."""
    return load_labelset()


@pytest.fixture
def write_jsonl(tmp_path):
    """Write rows (dicts, or raw strings for malformed lines) to a JSONL file."""
    def write(rows, name="data.jsonl"):
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    return write


def _tiny():
    return SimpleNamespace(pipeline=fit_tiny(), texts=TEXTS, labels=LABELS)


@pytest.fixture
def tiny():
    """A freshly fitted small pipeline with its training texts and label order."""
    return _tiny()


@pytest.fixture
def save_tiny(tiny, tmp_path):
    """Save the tiny pipeline as a complete model version under ``tmp_path/models``."""
    from train.pipeline.saving import save_version
    root = tmp_path / "models"

    def save(version, active=False):
        from train.model.versions import set_active
        manifest = {"version": version, "created": "2026-11-28T00:00:00+00:00",
                    "labels": tiny.labels, "thresholds": {l: 0.3 for l in tiny.labels},
                    "model": "tiny", "cv": {"out_of_fold": {"macro_f1": 0.5}}}
        save_version(tiny.pipeline, manifest, root)
        if active:
            set_active(version, root)
        return root / version
    save.root = root
    return save
