"""The serving form of a trained pipeline: plain arrays, no scikit-learn objects; what a
worker loads and runs.

A fitted casus pipeline is TF-IDF features followed by one linear model per label (or
several per label, averaged, when calibrated by cross-validation). ``compile_serving``
extracts exactly that arithmetic on the training side; ``ServingForm`` redoes it with a few
numpy calls per batch. Profiling showed scikit-learn's per-call input validation (about 76
``check_array`` calls per prediction) dominating small requests, and unpickling the full
pipeline taking seconds; this form avoids both and gives the same scores (tested to 1e-9).

Saved as ``serving.npz`` (no pickled objects: strings are stored as UTF-8 bytes), hashed
in the manifest like the model file.
"""
import re
from itertools import chain, repeat
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .ngramhash import MULTIPLIER, lookup, ngram_hashes, slot_table
from .normalise import normalise_text

_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # TfidfVectorizer's default token_pattern
#: Separates packed strings: never inside a token or a within-word n-gram.
SEPARATOR = "\n"


class WordBlock(NamedTuple):
    """The word n-gram features: unigram -> column, idf per column, (low, high) n,
    the terms in column order, the sorted hash keys of the terms, their slot table, and
    the column of each sorted key."""
    unigrams: dict
    idf: np.ndarray
    ngrams: tuple
    terms: list
    keys: np.ndarray
    slots: np.ndarray
    columns: np.ndarray


class CharBlock(NamedTuple):
    """The character n-gram features: the sorted hashes, their slot table, idf per
    column, (low, high) n, and the n-grams in column order."""
    hashes: np.ndarray
    slots: np.ndarray
    idf: np.ndarray
    ngrams: tuple
    terms: list


def _unpack(buffer):
    text = buffer.tobytes().decode("utf-8")
    return text.split(SEPARATOR) if text else []


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


def _tfidf_entries(rows, cols, n_rows, idf):
    """Sparse (row, column, value) entries of sublinear TF-IDF rows scaled to unit length
    (TfidfTransformer's defaults) from one (row, column) pair per occurrence.

    Plain numpy: scipy.sparse's per-call checks cost more than the arithmetic on the
    short inputs a service sees.
    """
    keys = rows * len(idf) + cols
    if n_rows * len(idf) < 2 ** 31:
        # sorting 32-bit keys is the batch's single largest cost; measured 3-10% more
        # sentences/s for the whole prediction (batches of 1,000), same results bit for bit
        keys = keys.astype(np.int32)
    keys = np.sort(keys).astype(np.int64)   # sort + run lengths: np.unique is 3x slower
    first = np.flatnonzero(np.concatenate((keys[:1] == keys[:1], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(first, len(keys)))
    keys = keys[first]
    rows, cols = keys // len(idf), keys % len(idf)
    values = (np.log(counts) + 1.0) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
    return rows, cols, values / norms[rows]


class ServingForm:
    """Features and scores of a compiled pipeline; ``arrays`` as made by
    ``compile_serving.compile_pipeline`` (or read back from ``serving.npz``)."""

    def __init__(self, arrays):
        self.word = None
        if "word_terms" in arrays:
            terms = _unpack(arrays["word_terms"])
            unigrams, keys, columns = _word_ngram_keys(terms)
            self.word = WordBlock(unigrams, np.asarray(arrays["word_idf"]),
                                  tuple(int(n) for n in arrays["word_ngrams"]), terms,
                                  keys, slot_table(keys), columns)
        self.char = None
        if "char_hashes" in arrays:
            hashes = np.asarray(arrays["char_hashes"])
            self.char = CharBlock(hashes, slot_table(hashes), np.asarray(arrays["char_idf"]),
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
            out.append(("word", self.word.terms))
        if self.char:
            out.append(("char", self.char.terms))
        return out

    def _word_entries(self, docs):
        """Word n-grams found by hashing each run of known words' columns, all at once."""
        word = self.word
        unigrams, (low, high), keys, slots = word.unigrams, word.ngrams, word.keys, word.slots
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
                cols.append(word.columns[index[found]])
        return _tfidf_entries(np.concatenate(rows), np.concatenate(cols), len(docs), word.idf)

    def _char_entries(self, docs):
        char = self.char
        _, doc_idx, found_hashes, _, _ = ngram_hashes(docs, char.ngrams)
        column, found = lookup(char.hashes, char.slots, found_hashes)
        return _tfidf_entries(doc_idx[found].astype(np.int64), column[found], len(docs),
                              char.idf)

    def transform(self, sentences):
        """The TF-IDF feature matrix (CSR, word block then character block)."""
        docs = [normalise_text(s) for s in sentences]
        parts, offset = [], 0
        if self.word:
            rows, cols, values = self._word_entries(docs)
            parts.append((rows, cols, values))
            offset = len(self.word.idf)
        if self.char:
            rows, cols, values = self._char_entries(docs)
            parts.append((rows, cols + offset, values))
            offset += len(self.char.idf)
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
