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

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .charngrams import _lookup, _ngram_hashes, _slot_table
from .features import normalise_text

_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # TfidfVectorizer's default token_pattern
_SEP = "\n"                             # never inside a token or a within-word n-gram


def _pack(strings):
    return np.frombuffer(_SEP.join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack(buffer):
    text = buffer.tobytes().decode("utf-8")
    return text.split(_SEP) if text else []


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


def _tfidf(counts, idf):
    """Sublinear TF times IDF, rows scaled to unit length (TfidfTransformer's defaults)."""
    counts.data = np.log(counts.data) + 1.0
    counts = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ counts)


class CompactModel:
    """Features and scores of a compiled pipeline; ``arrays`` as made by
    ``compile_pipeline`` (or read back from ``serving.npz``)."""

    def __init__(self, arrays):
        self.word = None
        if "word_terms" in arrays:
            terms = _unpack(arrays["word_terms"])
            self.word = ({t: i for i, t in enumerate(terms)}, np.asarray(arrays["word_idf"]),
                         tuple(int(n) for n in arrays["word_ngrams"]), terms)
        self.char = None
        if "char_hashes" in arrays:
            hashes = np.asarray(arrays["char_hashes"])
            self.char = (hashes, _slot_table(hashes), np.asarray(arrays["char_idf"]),
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

    def _word_counts(self, docs):
        vocabulary, _, (low, high), _ = self.word
        rows, cols = [], []
        for i, doc in enumerate(docs):
            tokens = _TOKEN.findall(doc)
            for n in range(low, high + 1):
                grams = tokens if n == 1 else [" ".join(tokens[j:j + n])
                                               for j in range(len(tokens) - n + 1)]
                for gram in grams:
                    column = vocabulary.get(gram)
                    if column is not None:
                        rows.append(i)
                        cols.append(column)
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(len(docs), len(vocabulary)))

    def _char_counts(self, docs):
        hashes, slots, _, ngram_range, _ = self.char
        _, doc_idx, found_hashes, _, _ = _ngram_hashes(docs, ngram_range)
        column, found = _lookup(hashes, slots, found_hashes)
        return sp.csr_matrix((np.ones(found.sum()), (doc_idx[found], column[found])),
                             shape=(len(docs), len(hashes)))

    def transform(self, sentences):
        """The TF-IDF feature matrix (CSR) of ``sentences``."""
        docs = [normalise_text(s) for s in sentences]
        blocks = []
        if self.word:
            blocks.append(_tfidf(self._word_counts(docs), self.word[1]))
        if self.char:
            blocks.append(_tfidf(self._char_counts(docs), self.char[2]))
        return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]

    def predict_proba(self, matrix):
        """One probability per label and row, as the pipeline's ``predict_proba``."""
        decision = matrix @ self.weights + self.intercepts
        return expit(-(self.cal_a * decision + self.cal_b)) @ self.average
