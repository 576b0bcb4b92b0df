"""Text normalisation and the feature extractors shared by every candidate model."""
import re

from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .charngrams import CharNgramCounter

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


def text_features(words=True, chars=True):
    """Word 1-2-gram and/or character 2-5-gram (within word boundaries) TF-IDF.

    The character part equals ``TfidfVectorizer(analyzer="char_wb")`` but counts with
    ``CharNgramCounter``, several times faster at prediction time.
    """
    parts = []
    if words:
        parts.append(("word", TfidfVectorizer(preprocessor=normalise_text, ngram_range=(1, 2),
                                              min_df=2, sublinear_tf=True)))
    if chars:
        parts.append(("char", Pipeline([
            ("counts", CharNgramCounter(ngram_range=(2, 5), min_df=2,
                                        preprocessor=normalise_text)),
            ("tfidf", TfidfTransformer(sublinear_tf=True))])))
    return FeatureUnion(parts)
