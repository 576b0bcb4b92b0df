"""Per-label kappa of a blind re-labelling."""
import pytest

from train.pipeline.agreement import agreement

LABELS = ("accusation", "negotiation")


def test_identical_labellings_agree_fully():
    stored = {"a": {"accusation"}, "b": set(), "c": {"negotiation"}}
    result = agreement(stored, dict(stored), LABELS)
    assert result["exact_set_agreement"] == 1.0
    assert all(v["kappa"] == 1.0 for v in result["per_label"].values())


def test_kappa_matches_hand_computation():
    # accusation: stored 1,1,0,0 vs relabelled 1,0,0,0 -> po=.75, pe=.5*.25+.5*.75=.5, k=.5
    stored = {"a": {"accusation"}, "b": {"accusation"}, "c": set(), "d": set()}
    again = {"a": {"accusation"}, "b": set(), "c": set(), "d": set(), "extra": set()}
    result = agreement(stored, again, LABELS)
    assert result["n"] == 4
    assert result["per_label"]["accusation"]["kappa"] == pytest.approx(0.5)
    assert result["differing_ids"] == ["b"]


def test_no_shared_ids_is_an_error():
    with pytest.raises(ValueError):
        agreement({"a": set()}, {"b": set()}, LABELS)
