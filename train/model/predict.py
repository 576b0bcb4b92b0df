"""Prediction and explanation: the one function the service wraps.

Every candidate model is linear in TF-IDF features, so a label's score is driven by a
sum of per-feature contributions; explanations report the sentence's terms with the
largest positive contributions. Character n-grams are credited to the words they come
from, so users see words, not fragments.
"""
import re
from collections import defaultdict

from .labelset import NONE
from .normalise import normalise_text

_EDGE_PUNCT = re.compile(r"^\W+|\W+$")


def predict(model, sentences, explain=False, top_terms=5):
    """Label ``sentences`` with a loaded ``model``.

    Returns one dict per sentence: ``labels`` (every label at or over its threshold, in
    label order), ``label`` (the top-scoring of those, or ``"none"``), ``scores`` (a
    probability per label) and, with ``explain``, ``explanation``: for each assigned
    label, up to ``top_terms`` ``[term, weight]`` pairs, largest first.
    """
    sentences = list(sentences)
    if not sentences:
        return []
    matrix = model.serving_form.transform(sentences)
    probabilities = model.serving_form.predict_proba(matrix)
    results = []
    label_ids = model.label_ids
    thresholds = [model.thresholds[label] for label in label_ids]
    for i, row in enumerate(probabilities.tolist()):
        scores = dict(zip(label_ids, row))
        labels = [label for label, p, t in zip(label_ids, row, thresholds) if p >= t]
        result = {"labels": labels,
                  "label": max(labels, key=scores.get) if labels else NONE,
                  "scores": scores}
        if explain:
            result["explanation"] = {
                label: _top_terms(model, sentences[i], matrix[i],
                                  model.label_ids.index(label), top_terms)
                for label in labels}
        results.append(result)
    return results


def _ngram_owners(words, longest=5):
    """Each character n-gram (of the space-padded words, up to ``longest``) -> the
    distinct words it occurs in; linear in the sentence's length."""
    owners = defaultdict(list)
    for word in dict.fromkeys(words):
        padded = f" {word} "
        grams = {padded[i:i + n] for n in range(1, longest + 1)
                 for i in range(len(padded) - n + 1)}
        for gram in grams:
            owners[gram].append(word)
    return owners


def _top_terms(model, sentence, row, k, n):
    weights = model.serving_form.explain[k]
    credit = defaultdict(float)
    owners = None
    offset = 0
    for name, names in model.serving_form.blocks():
        size = len(names)
        block = row[:, offset:offset + size]
        for j, value in zip(block.indices, block.data):
            contribution = value * weights[offset + j]
            term = names[j]
            if name == "char":
                # credit the n-gram to every word it occurs in (char_wb pads with spaces)
                owners = owners or _ngram_owners(normalise_text(sentence).split())
                words = owners.get(term, ())
                for w in words:
                    credit[_EDGE_PUNCT.sub("", w) or w] += contribution / len(words)
            else:
                credit[term] += contribution
        offset += size
    best = sorted(((t, c) for t, c in credit.items() if c > 0), key=lambda tc: -tc[1])[:n]
    return [[term, round(float(c), 4)] for term, c in best]
