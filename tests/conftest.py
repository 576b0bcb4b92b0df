"""Shared fixtures: the default label set and a helper that writes labelled files."""
import json

import pytest

from train.labelset import load_labelset


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
