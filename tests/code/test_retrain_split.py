"""Which stored examples the gate holds out to measure the user's own domain."""
from train.pipeline.records import Example
from train.retraining.retrain import USER_HOLDOUT_MIN, USER_HOLDOUT_SHARE, \
    held_out_user_examples


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def stored(n, kind="example"):
    """``n`` distinct plain examples (up to 676)."""
    words = [a + b for a in LETTERS for b in LETTERS][:n]
    return [Example(text=f"Sentence number {word} of the user.", labels=(), where="s",
                    meta={"kind": kind}) for word in words]


def test_nothing_is_held_out_below_the_minimum():
    rows = stored(USER_HOLDOUT_MIN - 1)
    assert held_out_user_examples(rows) == (rows, [])


def test_about_a_fifth_is_held_out_the_same_each_time_and_never_a_correction():
    rows = stored(600)
    corrections = [Example(text=e.text + " Corrected.", labels=("negotiation",), where="s",
                           meta={"kind": "correction"}) for e in rows[:100]]
    training, held = held_out_user_examples(rows + corrections)
    assert abs(len(held) / 600 - USER_HOLDOUT_SHARE) < 0.06
    assert not any(e.meta["kind"] == "correction" for e in held)
    assert len(training) + len(held) == 700
    assert held_out_user_examples(list(reversed(rows + corrections)))[1] == held[::-1]
