"""Near-duplicate detection: cosine of character 3-5-gram term frequencies (no IDF).

The measure is deliberately surface-level: it catches a sentence written again with a
name or number swapped, which is what inflates a corpus without teaching anything.
"""
import numpy as np
import scipy.sparse as sp

#: Pairs at or above this cosine count as near-duplicates.
NEAR_DUPLICATE_THRESHOLD = 0.8


def _normalise(text):
    """Lower-case and fold white space, so layout alone never hides a copy."""
    return " ".join(text.lower().split())


def char_ngram_vectors(texts, fit_texts=None):
    """L2-normalised character 3-5-gram count vectors (lower-cased) for ``texts``.

    ``fit_texts`` sets the vocabulary when two collections must share one space.
    """
    # imported here so the service, which checks new examples with this, starts without
    # loading scikit-learn
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(3, 5), dtype=np.float64,
                                 preprocessor=_normalise)
    texts = list(texts)
    try:
        vectorizer.fit(texts + list(fit_texts or ()))
    except ValueError:   # no text has three characters: nothing to compare, all zero
        return sp.csr_matrix((len(texts), 0))
    return normalize(vectorizer.transform(texts))


def near_duplicate_pairs(texts, threshold=NEAR_DUPLICATE_THRESHOLD, chunk=512):
    """Return ``[(i, j, cosine)]`` with ``i < j`` for every pair at or above ``threshold``.

    Works in row chunks so memory stays bounded by ``chunk * len(texts)``.
    """
    texts = list(texts)
    if len(texts) < 2:
        return []
    vectors = char_ngram_vectors(texts)
    pairs = []
    for start in range(0, len(texts), chunk):
        block = (vectors[start:start + chunk] @ vectors.T).toarray()
        rows, cols = np.nonzero(block >= threshold)
        for r, c in zip(rows, cols):
            i = start + int(r)
            if int(c) > i:
                pairs.append((i, int(c), float(block[r, c])))
    return pairs


def near_duplicate_rate(texts, threshold=NEAR_DUPLICATE_THRESHOLD):
    """Share of texts that have at least one near-duplicate elsewhere in ``texts``."""
    texts = list(texts)
    if not texts:
        return 0.0
    involved = {k for i, j, _ in near_duplicate_pairs(texts, threshold) for k in (i, j)}
    return len(involved) / len(texts)


def max_similarity_to(texts, references):
    """For each text, its highest cosine to any of ``references`` (same measure)."""
    texts, references = list(texts), list(references)
    if not texts or not references:
        return np.zeros(len(texts))
    both = texts + references
    a = char_ngram_vectors(texts, fit_texts=both)
    b = char_ngram_vectors(references, fit_texts=both)
    return (a @ b.T).toarray().max(axis=1)
