"""Text normalisation applied before every feature (no scikit-learn needed to serve)."""
import re

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2018": "'", "\u2019": "'", "\u2032": "'",
                         "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " "})
_DIGITS = re.compile(r"\d")


def normalise_text(text):
    """Lower-case, straighten quotes and dashes, and map every digit to 0.

    Digits are folded because "Resolution 2334" and "Resolution 1701" should teach the
    same thing; typography varies by outlet and must not change a prediction.
    """
    return _DIGITS.sub("0", text.translate(_QUOTES).lower())


def text_key(text):
    """The identity of a sentence for duplicates, corrections and the test-split guard:
    what the model sees (case, quotes, dashes and digits folded by ``normalise_text``)
    with spacing folded, so a variant the model cannot tell apart counts as the same."""
    return " ".join(normalise_text(text).split())
