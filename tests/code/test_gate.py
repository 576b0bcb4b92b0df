"""The quality gate promotes only versions that are not worse."""
from train.retraining.gate import gate

ACTIVE = {"macro_f1": 0.80, "per_label_f1": {"a": 0.8, "b": 0.8}}


def figures(macro, a, b):
    return {"macro_f1": macro, "per_label_f1": {"a": a, "b": b}}


def test_no_active_version_promotes():
    assert gate(figures(0.1, 0.1, 0.1), None)[0]


def test_within_tolerance_promotes():
    promote, reason = gate(figures(0.795, 0.79, 0.80), ACTIVE)
    assert promote and reason.startswith("promoted")


def test_macro_f1_drop_beyond_tolerance_is_refused():
    promote, reason = gate(figures(0.78, 0.80, 0.76), ACTIVE)
    assert not promote and "macro-F1 0.780" in reason


def test_one_label_falling_is_refused_even_if_macro_improves():
    promote, reason = gate(figures(0.85, 0.74, 0.96), ACTIVE)
    assert not promote and "a F1 fell from 0.800 to 0.740" in reason


def test_force_promotes_and_says_what_it_overrode():
    promote, reason = gate(figures(0.5, 0.5, 0.5), ACTIVE, force=True)
    assert promote and reason.startswith("promoted by force") and "macro-F1" in reason


def test_tolerances_are_settings():
    assert gate(figures(0.75, 0.75, 0.75), ACTIVE, tolerance=0.06, max_label_drop=0.06)[0]
    assert not gate(figures(0.80, 0.80, 0.80), ACTIVE, tolerance=-0.01)[0]
