"""The list of model versions with their figures, for `python -m train models` and
GET /models."""
import json

from train.model import versions

from .gate import read_gate


def _test_figures(version, root):
    """Test-split macro-F1 and per-label F1 from the gate or the evaluation report; None
    when neither is there or either is not what it should be (a listing never fails on
    one damaged file)."""
    decision = read_gate(version, root)
    if decision:
        return _figures(decision["candidate"].get("test"))
    try:
        report = json.loads((versions.version_dir(version, root) / "evaluation.json")
                            .read_text("utf-8"))
        per_label = report["model"]["per_label"]
        return _figures({"macro_f1": round(report["model"]["macro_f1"], 4),
                         "per_label_f1": {k: round(v["f1"], 4) for k, v in per_label.items()
                                          if k != "none"}})
    except (OSError, ValueError, KeyError, TypeError, AttributeError,
            versions.ModelLoadError):
        return None


def _figures(test):
    """``test`` if it holds a numeric macro-F1, else None."""
    if isinstance(test, dict) and isinstance(test.get("macro_f1"), (int, float)):
        return test
    return None


def list_models(root=versions.DEFAULT_ROOT):
    """Every complete version, newest first, with its status and figures, plus the
    half-written directories a crash left behind (ignored, reported), and
    ``active_error`` when the ``ACTIVE`` pointer itself is refused."""
    try:
        active, active_error = versions.active_version(root), None
    except versions.ModelLoadError as exc:
        active, active_error = None, str(exc)
    history = set(versions.activation_history(root))
    rows = []
    for version in reversed(versions.list_versions(root)):
        try:
            manifest = versions.read_manifest(version, root, check=True)
        except versions.ModelLoadError as exc:
            rows.append({"version": version, "status": "unreadable", "error": str(exc)})
            continue
        decision = read_gate(version, root)
        if version == active:
            status = "active"
        elif decision and decision.get("promoted") is False:
            status = "rejected"
        else:
            status = "previously active" if version in history else "candidate"
        rows.append({
            "version": version, "status": status, "created": manifest.get("created"),
            "model": manifest.get("model"), "labels": manifest.get("labels"),
            "train_sentences": manifest.get("data", {}).get("train_sentences"),
            "stored_examples": manifest.get("data", {}).get("stored_examples", 0),
            "cv_macro_f1": manifest.get("cv", {}).get("out_of_fold", {}).get("macro_f1"),
            "test": _test_figures(version, root),
            "gate": decision and {k: decision.get(k) for k in ("promoted", "forced",
                                                               "reason")}})
    listing = {"active": active, "versions": rows,
               "incomplete": versions.incomplete_versions(root)}
    if active_error:
        listing["active_error"] = active_error
    return listing


def format_models(root=versions.DEFAULT_ROOT):
    """``list_models`` as a plain-text table."""
    listing = list_models(root)
    lines = [f"{'':2}{'version':<24}{'status':<19}{'test macro-F1':>14}{'CV macro-F1':>13}"
             f"{'stored':>8}  model"]
    for v in listing["versions"]:
        mark = "* " if v["status"] == "active" else "  "
        test = v.get("test") or {}
        cv = v.get("cv_macro_f1")
        if v["status"] == "unreadable":
            lines.append(f"  {v['version']:<24}{'unreadable':<19}{v['error']}")
            continue
        lines.append(f"{mark}{v['version']:<24}{v['status']:<19}"
                     f"{test.get('macro_f1', float('nan')):>14.3f}"
                     f"{cv if cv is not None else float('nan'):>13.3f}"
                     f"{v.get('stored_examples') or 0:>8}  {v.get('model') or ''}")
        if v.get("gate") and v["gate"]["promoted"] is False:
            lines.append(f"{'':28}{v['gate']['reason']}")
    if not listing["versions"]:
        lines.append("  (no versions yet: run `python -m train`)")
    names = {v["version"] for v in listing["versions"]}
    if listing.get("active_error"):
        lines.append(f"  {listing['active_error']}")
    if listing["active"] is not None and listing["active"] not in names:
        lines.append(f"  ACTIVE names {listing['active']!r:.80}, which is not a version "
                     "here; choose one with `python -m train activate VERSION`")
    for name in listing["incomplete"]:
        lines.append(f"  ignored half-written version directory {name} (a crash while saving; "
                     "safe to delete)")
    return "\n".join(lines)
