"""The vectorised character n-gram counter: scikit-learn conventions, and exactly the
features of scikit-learn's own char_wb analyzer."""
import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.estimator_checks import check_estimator

from train.model.normalise import normalise_text
from train.pipeline.charngrams import CharNgramCounter

TEXTS = [
    "Their artillery shelled the market in the old town again at dawn.",
    "We are ready to meet tomorrow in Geneva, with no preconditions at all.",
    "  Résolution 2334:  «null and void»  — said the envoy\tand left.",
    "Zaporizhzhia, Ḥudaydah, 日本語, and emoji 🇨🇾 all count.",
    "a I x",
    "",
]


def test_passes_check_estimator():
    check_estimator(CharNgramCounter())


@pytest.mark.parametrize("ngram_range, min_df", [((2, 5), 1), ((1, 3), 2), ((3, 3), 1)])
def test_same_counts_as_scikit_learn_char_wb(ngram_range, min_df):
    ours = CharNgramCounter(ngram_range=ngram_range, min_df=min_df,
                            preprocessor=normalise_text).fit(TEXTS)
    theirs = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=min_df,
                             preprocessor=normalise_text).fit(TEXTS)
    assert set(ours.get_feature_names_out()) == set(theirs.vocabulary_)
    probe = TEXTS + ["Unseen words only: qwxz.", "the the the"]
    order = [theirs.vocabulary_[name] for name in ours.get_feature_names_out()]
    expected = theirs.transform(probe)[:, order].toarray()
    assert np.array_equal(ours.transform(probe).toarray(), expected)


def test_single_string_and_wrong_shapes_are_refused():
    fitted = CharNgramCounter().fit(TEXTS)
    with pytest.raises(ValueError, match="single string"):
        fitted.transform("a whole text, not a list")
    with pytest.raises(ValueError, match="2-D"):
        CharNgramCounter().fit(np.array([["a", "b"]], dtype=object)).transform(["ab"])
