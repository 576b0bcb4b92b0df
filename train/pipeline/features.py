"""The feature extractors shared by every candidate model (the text is normalised first,
in ``normalise.py``)."""
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from train.model.normalise import normalise_text

from .charngrams import CharNgramCounter

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
