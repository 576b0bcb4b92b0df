"""The serving form of a trained pipeline: plain arrays, no scikit-learn objects.

A fitted casus pipeline is TF-IDF features followed by one linear model per label (or
several per label, averaged, when calibrated by cross-validation). ``compile_pipeline``
extracts exactly that arithmetic; ``CompactModel`` redoes it with a few numpy calls per
batch. Profiling showed scikit-learn's per-call input validation (about 76 ``check_array``
calls per prediction) dominating small requests, and unpickling the full pipeline taking
seconds; this form avoids both and gives the same scores (tested to 1e-9).

Saved as ``serving.npz`` (no pickled objects: strings are stored as UTF-8 bytes), hashed
in the manifest like the model file.
"""
import re
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .ngramhash import MULTIPLIER, lookup, ngram_hashes, slot_table
from .normalise import normalise_text

_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # TfidfVectorizer's default token_pattern
_SEP = "\n"                             # never inside a token or a within-word n-gram


def _pack(strings):
    return np.frombuffer(_SEP.join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack(buffer):
    text = buffer.tobytes().decode("utf-8")
    return text.split(_SEP) if text else []


def _word_ngram_keys(terms):
    """For word n-gram terms: the unigram -> column map, and each term's key (a rolling
    hash of its words' columns, as ``_word_entries`` computes it) sorted, with the
    column of each key. Every word of a kept n-gram is itself kept (an n-gram in
    ``min_df`` documents puts each of its words there too), so a key always exists."""
    unigrams = {term: column for column, term in enumerate(terms) if " " not in term}
    multiplier, mask = int(MULTIPLIER), (1 << 64) - 1
    keys = []
    for term in terms:
        words = term.split(" ")
        missing = [word for word in words if word not in unigrams]
        if missing:
            raise ValueError(f"word n-gram '{term}' has a word outside the vocabulary")
        key = unigrams[words[0]] + 1
        for word in words[1:]:   # uint64 arithmetic, as numpy does it
            key = (key * multiplier + unigrams[word] + 1) & mask
        keys.append(key ^ len(words))
    keys = np.array(keys, dtype=np.uint64)
    order = np.argsort(keys)
    if len(np.unique(keys)) != len(keys):
        raise ValueError("two word n-grams share a hash key")
    return unigrams, keys[order], order


def _linear_parts(estimator, n_features):
    """(weights, intercept, a, b) rows giving P = expit(-(a * (w.x + c) + b)) for each
    sub-model of one label's estimator."""
    if hasattr(estimator, "calibrated_classifiers_"):        # sigmoid-calibrated, averaged
        return [(np.asarray(c.estimator.coef_).ravel(), float(np.ravel(c.estimator.intercept_)[0]),
                 float(c.calibrators[0].a_), float(c.calibrators[0].b_))
                for c in estimator.calibrated_classifiers_]
    if hasattr(estimator, "coef_"):                           # logistic regression
        return [(np.asarray(estimator.coef_).ravel(), float(np.ravel(estimator.intercept_)[0]),
                 -1.0, 0.0)]
    # a label constant in training: scikit-learn's _ConstantPredictor answers y_ always
    p = float(np.clip(np.ravel(estimator.y_)[0], 1e-12, 1 - 1e-12))
    return [(np.zeros(n_features), 0.0, 0.0, float(-np.log(p / (1 - p))))]


def label_weights(classifier):
    """Per label, the weight vector whose dot product with the features drives its score.

    Handles plain linear models and sigmoid-calibrated ones (whose calibration slope can
    flip the sign); calibrated folds are averaged.
    """
    weights = []
    for estimator in classifier.estimators_:
        if hasattr(estimator, "coef_"):
            weights.append(np.asarray(estimator.coef_).ravel())
        elif hasattr(estimator, "calibrated_classifiers_"):
            weights.append(np.mean([
                -c.calibrators[0].a_ * np.asarray(c.estimator.coef_).ravel()
                for c in estimator.calibrated_classifiers_], axis=0))
        else:  # a label that was constant in training has nothing to explain
            weights.append(None)
    return weights


def compile_pipeline(pipeline):
    """The arrays of ``serving.npz`` for a fitted casus pipeline."""
    explain_weights = label_weights(pipeline.named_steps["classify"])
    features = dict(pipeline.named_steps["features"].transformer_list)
    arrays, n_features = {}, 0
    if "word" in features:
        word = features["word"]
        terms = sorted(word.vocabulary_, key=word.vocabulary_.get)
        arrays.update(word_terms=_pack(terms), word_idf=word.idf_,
                      word_ngrams=np.array(word.ngram_range))
        n_features += len(terms)
    if "char" in features:
        counts, tfidf = features["char"].named_steps["counts"], features["char"].named_steps["tfidf"]
        arrays.update(char_hashes=counts.vocabulary_hashes_,
                      char_terms=_pack(counts.feature_names_.tolist()), char_idf=tfidf.idf_,
                      char_ngrams=np.array(counts.ngram_range))
        n_features += len(counts.vocabulary_hashes_)
    rows, label_of = [], []
    for k, estimator in enumerate(pipeline.named_steps["classify"].estimators_):
        parts = _linear_parts(estimator, n_features)
        rows.extend(parts)
        label_of.extend([k] * len(parts))
    arrays.update(weights=np.stack([r[0] for r in rows], axis=1),      # features x models
                  intercepts=np.array([r[1] for r in rows]),
                  cal_a=np.array([r[2] for r in rows]), cal_b=np.array([r[3] for r in rows]),
                  label_of=np.array(label_of),
                  explain=np.stack([w if w is not None else np.zeros(n_features)
                                    for w in explain_weights]))
    return arrays


def _tfidf_entries(rows, cols, n_rows, idf):
    """Sparse (row, column, value) entries of sublinear TF-IDF rows scaled to unit length
    (TfidfTransformer's defaults) from one (row, column) pair per occurrence.

    Plain numpy: scipy.sparse's per-call checks cost more than the arithmetic on the
    short inputs a service sees.
    """
    keys = np.sort(rows * len(idf) + cols)   # sort + run lengths: np.unique is 3x slower
    first = np.flatnonzero(np.concatenate((keys[:1] == keys[:1], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(first, len(keys)))
    keys = keys[first]
    rows, cols = keys // len(idf), keys % len(idf)
    values = (np.log(counts) + 1.0) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
    return rows, cols, values / norms[rows]


class CompactModel:
    """Features and scores of a compiled pipeline; ``arrays`` as made by
    ``compile_pipeline`` (or read back from ``serving.npz``)."""

    def __init__(self, arrays):
        self.word = None
        if "word_terms" in arrays:
            terms = _unpack(arrays["word_terms"])
            unigrams, keys, columns = _word_ngram_keys(terms)
            self.word = (unigrams, np.asarray(arrays["word_idf"]),
                         tuple(int(n) for n in arrays["word_ngrams"]), terms,
                         keys, slot_table(keys), columns)
        self.char = None
        if "char_hashes" in arrays:
            hashes = np.asarray(arrays["char_hashes"])
            self.char = (hashes, slot_table(hashes), np.asarray(arrays["char_idf"]),
                         tuple(int(n) for n in arrays["char_ngrams"]),
                         _unpack(arrays["char_terms"]))
        self.weights = np.ascontiguousarray(arrays["weights"])
        self.intercepts, self.cal_a, self.cal_b = (np.asarray(arrays[k]) for k in
                                                   ("intercepts", "cal_a", "cal_b"))
        self.label_of = np.asarray(arrays["label_of"])
        self.n_labels = int(self.label_of.max()) + 1
        self.explain = np.asarray(arrays["explain"])
        # averaging sub-models per label is one product with this (models x labels) matrix
        groups = np.zeros((len(self.label_of), self.n_labels))
        groups[np.arange(len(self.label_of)), self.label_of] = 1.0
        self.average = groups / groups.sum(axis=0)

    def blocks(self):
        """(name, feature names) of each feature block, in column order."""
        out = []
        if self.word:
            out.append(("word", self.word[3]))
        if self.char:
            out.append(("char", self.char[4]))
        return out

    def _word_entries(self, docs):
        """Word n-grams found by hashing each run of known words' columns, all at once."""
        unigrams, idf, (low, high), _, keys, slots, columns = self.word
        tokens = [_TOKEN.findall(doc) for doc in docs]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        flat = list(chain.from_iterable(tokens))
        known = np.fromiter(map(unigrams.get, flat, repeat(-1)), dtype=np.int64,
                            count=len(flat))
        doc = np.repeat(np.arange(len(docs)), lengths)
        rows, cols = [], []
        rolling, valid = (known + 1).astype(np.uint64), known >= 0
        with np.errstate(over="ignore"):
            for n in range(1, high + 1):
                if n > 1:
                    rolling = rolling[:-1] * MULTIPLIER + (known[n - 1:] + 1).astype(np.uint64)
                    valid = valid[:-1] & (known[n - 1:] >= 0) & (doc[:1 - n] == doc[n - 1:])
                if n < low:
                    continue
                start = np.flatnonzero(valid)
                index, found = lookup(keys, slots, rolling[start] ^ np.uint64(n))
                rows.append(doc[start[found]])
                cols.append(columns[index[found]])
        return _tfidf_entries(np.concatenate(rows), np.concatenate(cols), len(docs), idf)

    def _char_entries(self, docs):
        hashes, slots, idf, ngram_range, _ = self.char
        _, doc_idx, found_hashes, _, _ = ngram_hashes(docs, ngram_range)
        column, found = lookup(hashes, slots, found_hashes)
        return _tfidf_entries(doc_idx[found].astype(np.int64), column[found], len(docs), idf)

    def transform(self, sentences):
        """The TF-IDF feature matrix (CSR, word block then character block)."""
        docs = [normalise_text(s) for s in sentences]
        parts, offset = [], 0
        if self.word:
            rows, cols, values = self._word_entries(docs)
            parts.append((rows, cols, values))
            offset = len(self.word[1])
        if self.char:
            rows, cols, values = self._char_entries(docs)
            parts.append((rows, cols + offset, values))
            offset += len(self.char[2])
        rows, cols, values = (np.concatenate(x) for x in zip(*parts))
        # each block is sorted by (row, column) and the character block's columns come
        # after the word block's, so a stable sort by row alone orders everything
        order = np.argsort(rows, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(docs)))])
        return sp.csr_matrix((values[order], cols[order], indptr), shape=(len(docs), offset))

    def predict_proba(self, matrix):
        """One probability per label and row, as the pipeline's ``predict_proba``."""
        decision = matrix @ self.weights + self.intercepts
        return expit(-(self.cal_a * decision + self.cal_b)) @ self.average
