"""The quality gate: a retrained version replaces the active one only if it is not worse
on the frozen test split, overall or for any one label."""
import json

from train.model.versions import ModelLoadError, version_dir

#: The gate's decision, written next to each retrained version.
GATE_FILE = "gate.json"
#: How far macro-F1 may fall below the active version's and still be promoted.
TOLERANCE = 0.01
#: How far any one label's F1 may fall.
MAX_LABEL_DROP = 0.05


def gate(candidate, active, tolerance=TOLERANCE, max_label_drop=MAX_LABEL_DROP,
         force=False):
    """Decide on promotion; returns ``(promote, reason)``.

    ``candidate`` and ``active`` are test-split figures, ``{"macro_f1": x,
    "per_label_f1": {label: f1}}``; ``active`` is None when nothing is active. Labels
    only one of them knows are not compared. ``force`` promotes anyway and says what
    it overrode.
    """
    if active is None:
        return True, "promoted: there is no active version to compare with"
    failures = []
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
        return True, (f"promoted: macro-F1 {candidate['macro_f1']:.3f} vs "
                      f"{active['macro_f1']:.3f} for the active version, no label F1 fell "
                      f"by more than {max_label_drop}")
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
