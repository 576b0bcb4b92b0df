"""Retraining: train on the corpus plus the stored examples, measure the new version and
the active one on the frozen test split, and promote the new one only through the gate.
"""
import json
import logging
import os
import time
from pathlib import Path

from train.model import versions
from train.model.predict import predict
from train.pipeline.corpus import load_corpus
from train.pipeline.metrics import indicator, label_scores
from train.pipeline.split import load_split, partition
from train.pipeline.training import train_model

from .gate import GATE_FILE, MAX_LABEL_DROP, TOLERANCE, gate
from .jobs import PARENT_GONE

#: What a retraining did and decided (a job's log file holds it).
log = logging.getLogger("casus.retrain")


def test_figures(model, examples):
    """A model's macro-F1 and per-label F1 on ``examples``, over its own labels."""
    labels = model.label_ids
    results = predict(model, [e.text for e in examples])
    scores = label_scores(indicator([e.labels for e in examples], labels),
                          indicator([r["labels"] for r in results], labels), labels)
    return {"macro_f1": round(scores["macro_f1"], 4),
            "per_label_f1": {k: round(scores["per_label"][k]["f1"], 4) for k in labels}}


def retrain(store=None, root=versions.DEFAULT_ROOT, labelset=None, seed=0, folds=5,
            candidates=None, force=False, tolerance=TOLERANCE, max_label_drop=MAX_LABEL_DROP,
            may_promote=None):
    """Train a new version and let the gate decide whether it becomes active.

    Returns the decision: candidate and active versions with their test figures,
    ``promoted``, ``reason`` and timings. The decision is also written next to the
    version as ``gate.json``. ``may_promote()``, if given, is asked at the moment of
    promotion (a job asks whether the service that started it is still there); when it
    says no, nothing is promoted.
    """
    started = time.perf_counter()
    extra = _usable(store.training_examples() if store else [], labelset)
    corpus = load_corpus(labelset=labelset)   # read and checked once for both uses
    manifest = train_model(seed=seed, folds=folds, root=root, activate=False,
                           candidates=candidates, labelset=labelset, extra=extra,
                           examples=corpus)
    version = manifest["version"]
    _, test = partition(corpus, load_split())
    candidate = test_figures(versions.load_model(version, root), test)
    active_id = active = None
    try:
        active_id = versions.active_version(root)
        if active_id:
            active = test_figures(versions.load_model(active_id, root), test)
    except versions.ModelLoadError as exc:
        log.info(f"the active version cannot be loaded, so it is not compared: {exc}")
    promote, reason = gate(candidate, active, tolerance, max_label_drop, force)
    # asked under the activation lock right before ACTIVE moves: as close to the switch as
    # it can be, so a job whose service has died does not promote
    if promote and not versions.set_active(version, root, reason=reason,
                                           confirm=may_promote):
        promote, reason = False, PARENT_GONE
    result = {"candidate": {"version": version, "test": candidate},
              "active": {"version": active_id, "test": active},
              "promoted": promote, "forced": bool(force), "reason": reason,
              "tolerance": tolerance, "max_label_drop": max_label_drop,
              "stored_examples": len(extra),
              "seconds": round(time.perf_counter() - started, 1)}
    _write_json(Path(root) / version / GATE_FILE, result)
    log.info(reason)
    return result


def _usable(examples, labelset):
    """Stored examples whose labels the label set knows (it may have changed since)."""
    if labelset is None:
        return examples
    kept = [e for e in examples if all(label in labelset for label in e.labels)]
    if len(kept) < len(examples):
        log.info(f"skipping {len(examples) - len(kept)} stored example(s) with labels outside "
            "the current label set")
    return kept


def _write_json(path, data):
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(staging, path)
