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


def test_a_candidate_that_forgets_corrections_is_refused_unless_forced():
    same = {"macro_f1": 0.8, "per_label_f1": {"a": 0.8}}
    promote, reason = gate(same, same, corrections={"kept": 18, "of": 20})
    assert not promote and "18 of 20 stored corrections (90.0%" in reason
    assert gate(same, same, corrections={"kept": 19, "of": 20})[0]          # 95% passes
    assert gate(same, same, corrections={"kept": 18, "of": 20},
                min_corrections_kept=0.9)[0]
    promote, reason = gate(same, same, corrections={"kept": 18, "of": 20}, force=True)
    assert promote and "overriding" in reason


def test_a_candidate_worse_on_the_users_held_out_sentences_is_refused():
    same = {"macro_f1": 0.8, "per_label_f1": {"a": 0.8}}
    promote, reason = gate(same, same, user={"candidate": 0.70, "active": 0.72, "n": 60})
    assert not promote and "your held-out sentences 0.700 is 0.020 below" in reason
    promote, reason = gate(same, same, user={"candidate": 0.715, "active": 0.72, "n": 60})
    assert promote and "on your 60 held-out sentences 0.715 vs 0.720" in reason
