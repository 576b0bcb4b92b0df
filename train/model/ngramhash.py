"""Hashing character n-grams of a whole batch at once, and looking hashes up in a
fitted vocabulary: the numpy core shared by ``CharNgramCounter`` (training) and the
serving form (``serving_form.py``), kept free of scikit-learn so the service starts fast.

Every n-gram is hashed with a rolling 64-bit polynomial over code points (collisions are
negligible at this vocabulary size) and mapped to columns through a direct-address table.
"""
import numpy as np

MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def segments(docs):
    """Concatenate every word of every doc padded with spaces (as char_wb pads words)."""
    words_per_doc, words = [], []
    for doc in docs:
        split = doc.split()
        words_per_doc.append(len(split))
        words.extend(split)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
    text = f" {'  '.join(words)} " if words else ""   # " w1 " + " w2 " + ...
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"),
                          dtype=np.uint32).astype(np.uint64)
    segment = np.repeat(np.arange(len(words)), lengths)
    doc_of_segment = np.repeat(np.arange(len(words_per_doc)), words_per_doc)
    return text, codes, segment, doc_of_segment


def ngram_hashes(docs, ngram_range):
    """(doc index, hash, start, n) of every within-word n-gram in ``ngram_range``."""
    text, codes, segment, doc_of_segment = segments(docs)
    out = []
    rolling = codes.copy()
    low, high = ngram_range
    # characters left in its word from each position: an n-gram fits where it is >= n
    ends = np.flatnonzero(np.append(segment[1:] != segment[:-1], True)) + 1
    room = (np.repeat(ends, np.diff(np.append(0, ends))) - np.arange(len(segment))
            if len(segment) else segment)
    doc_of_position = doc_of_segment[segment]
    with np.errstate(over="ignore"):
        for n in range(1, high + 1):
            if n > 1:
                rolling = rolling[:-1] * MULTIPLIER + codes[n - 1:]
            if n < low or len(rolling) == 0:
                continue
            starts = np.flatnonzero(room[:len(rolling)] >= n)
            hashes = rolling[starts] ^ np.uint64(n)
            out.append((doc_of_position[starts], hashes, starts, np.full(len(starts), n)))
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return text, empty, empty.astype(np.uint64), empty, empty
    docs_idx, hashes, starts, ns = (np.concatenate(parts) for parts in zip(*out))
    return text, docs_idx, hashes, starts, ns


def slot_table(vocabulary):
    """A direct-address table: slot (low hash bits) -> column, -2 where keys collide.

    Sized at 16 slots per key, so only about 3% of keys share a slot; those fall back to
    binary search. A gather from this table is several times faster than searching the
    sorted vocabulary for every n-gram.
    """
    size = 1 << max(4, int(np.ceil(np.log2(max(len(vocabulary), 1) * 16))))
    slot = (vocabulary & np.uint64(size - 1)).astype(np.int64)
    table = np.full(size, -1, dtype=np.int64)
    table[slot] = np.arange(len(vocabulary))
    taken, counts = np.unique(slot, return_counts=True)
    table[taken[counts > 1]] = -2
    return table


def lookup(vocabulary, table, hashes):
    """Column of each hash in the sorted ``vocabulary`` and whether it is there at all."""
    if len(vocabulary) == 0:
        return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=bool)
    column = table[(hashes & np.uint64(len(table) - 1)).astype(np.int64)]
    shared = column == -2
    if shared.any():
        column[shared] = np.searchsorted(vocabulary, hashes[shared])
    column = np.clip(column, 0, len(vocabulary) - 1)
    found = (vocabulary[column] == hashes)
    return column, found
