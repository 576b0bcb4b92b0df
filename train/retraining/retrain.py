"""Retraining: train on the corpus plus the stored examples, measure the new version and
the active one on the frozen test split, and promote the new one only through the gate.
"""
import hashlib
import json
import logging
import os
import time
from pathlib import Path

from train.model import versions
from train.model.normalise import text_key
from train.model.predict import predict
from train.pipeline.corpus import load_corpus
from train.pipeline.metrics import indicator, label_scores
from train.pipeline.split import load_split, partition
from train.pipeline.training import USER_WEIGHT, train_model

from .gate import GATE_FILE, MAX_LABEL_DROP, MIN_CORRECTIONS_KEPT, TOLERANCE, gate
from .jobs import PARENT_GONE

#: What a retraining did and decided (a job's log file holds it).
log = logging.getLogger("casus.retrain")
#: Held out of training for the gate's user-domain figure: about this share of the
#: stored plain examples, once there are at least USER_HOLDOUT_MIN. Below that fewer
#: than 40 sentences would be held out, some labels with a handful of cases, and the
#: figure would move with single sentences rather than with the model.
USER_HOLDOUT_SHARE = 0.2
USER_HOLDOUT_MIN = 200


def test_figures(model, examples):
    """A model's macro-F1 and per-label F1 on ``examples``, over its own labels."""
    labels = model.label_ids
    results = predict(model, [e.text for e in examples])
    scores = label_scores(indicator([e.labels for e in examples], labels),
                          indicator([r["labels"] for r in results], labels), labels)
    return {"macro_f1": round(scores["macro_f1"], 4),
            "per_label_f1": {k: round(scores["per_label"][k]["f1"], 4) for k in labels}}


def held_out_user_examples(examples):
    """Split stored examples into ``(training, held_out)``: about ``USER_HOLDOUT_SHARE``
    of the plain examples are held out, chosen by a hash of the text (the same rows every
    retrain, so the figure compares like with like), once there are at least
    ``USER_HOLDOUT_MIN``. Corrections always train: they must stick."""
    plain = [e for e in examples if e.meta.get("kind") != "correction"]
    if len(plain) < USER_HOLDOUT_MIN:
        return list(examples), []
    buckets = round(1 / USER_HOLDOUT_SHARE)
    training, held = [], []
    for e in examples:
        digest = hashlib.sha256(text_key(e.text).encode("utf-8")).digest()
        is_held = e.meta.get("kind") != "correction" and digest[0] % buckets == 0
        (held if is_held else training).append(e)
    return training, held


def corrections_kept(model, examples):
    """``{"kept": k, "of": n}``: how many stored corrections ``model`` classifies with
    exactly the corrected labels."""
    corrections = [e for e in examples if e.meta.get("kind") == "correction"]
    results = predict(model, [e.text for e in corrections]) if corrections else []
    kept = sum(set(r["labels"]) == set(e.labels) for r, e in zip(results, corrections))
    return {"kept": kept, "of": len(corrections)}


def retrain(store=None, root=versions.DEFAULT_ROOT, labelset=None, seed=0, folds=5,
            candidates=None, force=False, tolerance=TOLERANCE, max_label_drop=MAX_LABEL_DROP,
            may_promote=None, user_weight=USER_WEIGHT,
            min_corrections_kept=MIN_CORRECTIONS_KEPT):
    """Train a new version and let the gate decide whether it becomes active.

    Stored examples weigh ``user_weight`` corpus sentences each; a share of them is held
    out (``held_out_user_examples``) so the gate can compare candidate and active
    version on the user's own text. Returns the decision: candidate and active versions
    with their test figures (and user-domain figures and corrections reproduced),
    ``promoted``, ``reason`` and timings. The decision is also written next to the
    version as ``gate.json``. ``may_promote()``, if given, is asked at the moment of
    promotion (a job asks whether the service that started it is still there); when it
    says no, nothing is promoted.
    """
    started = time.perf_counter()
    stored = _usable(store.training_examples() if store else [], labelset)
    extra, held = held_out_user_examples(stored)
    corpus = load_corpus(labelset=labelset)   # read and checked once for both uses
    manifest = train_model(seed=seed, folds=folds, root=root, activate=False,
                           candidates=candidates, labelset=labelset, extra=extra,
                           examples=corpus, user_weight=user_weight)
    version = manifest["version"]
    _, test = partition(corpus, load_split())
    new_model = versions.load_model(version, root)
    candidate = test_figures(new_model, test)
    kept = corrections_kept(new_model, extra)
    user = {"candidate": test_figures(new_model, held)["macro_f1"], "active": None,
            "n": len(held)} if held else None
    active_id = active = None
    try:
        active_id = versions.active_version(root)
        if active_id:
            active_model = versions.load_model(active_id, root)
            active = test_figures(active_model, test)
            if user and list(active_model.label_ids) == list(new_model.label_ids):
                user["active"] = test_figures(active_model, held)["macro_f1"]
    except versions.ModelLoadError as exc:
        log.info(f"the active version cannot be loaded, so it is not compared: {exc}")
    if kept["of"]:
        log.info(f"corrections reproduced: {kept['kept']} of {kept['of']}")
    promote, reason = gate(candidate, active, tolerance, max_label_drop, force, user=user,
                           corrections=kept, min_corrections_kept=min_corrections_kept)
    # asked under the activation lock right before ACTIVE moves: as close to the switch as
    # it can be, so a job whose service has died does not promote
    if promote and not versions.set_active(version, root, reason=reason,
                                           confirm=may_promote):
        promote, reason = False, PARENT_GONE
    result = {"candidate": {"version": version, "test": candidate},
              "active": {"version": active_id, "test": active},
              "promoted": promote, "forced": bool(force), "reason": reason,
              "tolerance": tolerance, "max_label_drop": max_label_drop,
              "stored_examples": len(stored), "user_weight": user_weight,
              "user_domain": user, "corrections": kept,
              "min_corrections_kept": min_corrections_kept,
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
