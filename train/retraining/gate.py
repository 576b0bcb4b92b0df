"""The quality gate: a retrained version replaces the active one only if it is not worse
on the frozen test split, overall or for any one label, nor on the held-out part of the
user's own sentences, and if it classifies the stored corrections as corrected."""
import json

from train.model.versions import ModelLoadError, version_dir

#: The gate's decision, written next to each retrained version.
GATE_FILE = "gate.json"
#: How far macro-F1 may fall below the active version's and still be promoted.
TOLERANCE = 0.01
#: How far any one label's F1 may fall.
MAX_LABEL_DROP = 0.05
#: The smallest share of stored corrections a candidate must classify as corrected.
MIN_CORRECTIONS_KEPT = 0.95


def gate(candidate, active, tolerance=TOLERANCE, max_label_drop=MAX_LABEL_DROP,
         force=False, user=None, corrections=None, min_corrections_kept=MIN_CORRECTIONS_KEPT):
    """Decide on promotion; returns ``(promote, reason)``.

    ``candidate`` and ``active`` are test-split figures, ``{"macro_f1": x,
    "per_label_f1": {label: f1}}``; ``active`` is None when nothing is active. Labels
    only one of them knows are not compared. ``user``: ``{"candidate": f1, "active": f1,
    "n": rows}`` on the held-out part of the user's data, when there is one; the
    candidate may not lose there by more than ``tolerance`` either. ``corrections``:
    ``{"kept": k, "of": n}``, the stored corrections the candidate classifies as
    corrected; below ``min_corrections_kept`` of them it is refused. ``force``
    promotes anyway and says what it overrode.
    """
    if active is None:
        return True, "promoted: there is no active version to compare with"
    failures = []
    if corrections and corrections["of"]:
        share = corrections["kept"] / corrections["of"]
        if share < min_corrections_kept - 1e-12:
            failures.append(f"it reproduces {corrections['kept']} of {corrections['of']} "
                            f"stored corrections ({share:.1%}; at least "
                            f"{min_corrections_kept:.0%} required)")
    if user and user.get("active") is not None:
        user_drop = user["active"] - user["candidate"]
        if user_drop > tolerance + 1e-12:
            failures.append(f"macro-F1 on your held-out sentences {user['candidate']:.3f} is "
                            f"{user_drop:.3f} below the active version's {user['active']:.3f}"
                            f" (tolerance {tolerance})")
    drop = active["macro_f1"] - candidate["macro_f1"]
    if drop > tolerance + 1e-12:
        failures.append(f"macro-F1 {candidate['macro_f1']:.3f} is {drop:.3f} below the "
                        f"active version's {active['macro_f1']:.3f} (tolerance {tolerance})")
    for label, before in active["per_label_f1"].items():
        after = candidate["per_label_f1"].get(label)
        if after is not None and before - after > max_label_drop + 1e-12:
            failures.append(f"{label} F1 fell from {before:.3f} to {after:.3f} "
                            f"(at most {max_label_drop} allowed)")
    if not failures:
        extra = ""
        if user and user.get("active") is not None:
            extra += (f"; on your {user['n']} held-out sentences {user['candidate']:.3f} vs "
                      f"{user['active']:.3f}")
        if corrections and corrections["of"]:
            extra += f"; {corrections['kept']} of {corrections['of']} corrections reproduced"
        return True, (f"promoted: macro-F1 {candidate['macro_f1']:.3f} vs "
                      f"{active['macro_f1']:.3f} for the active version, no label F1 fell "
                      f"by more than {max_label_drop}{extra}")
    if force:
        return True, "promoted by force, overriding: " + "; ".join(failures)
    return False, "kept as a candidate: " + "; ".join(failures)


def read_gate(version, root):
    """The gate decision recorded for ``version``, or None (built before gating, or the
    file is unreadable, not a decision, or outside the versions directory)."""
    try:
        decision = json.loads((version_dir(version, root) / GATE_FILE).read_text(
            encoding="utf-8"))
    except (OSError, ValueError, ModelLoadError):
        return None
    if not isinstance(decision, dict) or not isinstance(decision.get("candidate"), dict):
        return None
    return decision
