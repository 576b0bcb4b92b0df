"""The work behind POST /classify: segment, predict, count. No HTTP here."""
import time

from train.model.labelset import NONE
from train.model.predict import predict

from .errors import ApiError
from train.model.segment import sentence_spans

#: Sentences predicted at a time between two looks at the clock: large enough to keep
#: numpy's batch speed (9,806 sentences/s at 1,000 a batch, 8,874 at 100), small enough
#: that a request over its budget stops within a few tens of milliseconds.
_CHUNK = 500


def _check(deadline):
    """Refuse a request past its time budget."""
    if deadline is not None and time.monotonic() > deadline:
        raise ApiError(503, "time_budget_exceeded",
                       "this request took longer than the service allows one request; "
                       "send fewer or shorter texts per request",
                       headers={"Retry-After": "1"})


def classify_texts(model, texts, split=True, explain=False, deadline=None,
                   max_sentences=None):
    """One result per text: its sentences (with offsets, labels, top label, scores and,
    with ``explain``, explanations) and a count of sentences per label and ``none``.
    Past ``deadline`` (a ``time.monotonic()`` value) it raises a 503 ApiError; over
    ``max_sentences`` sentences in all, a 422 before any is predicted."""
    units = []
    for index, text in enumerate(texts):
        spans = sentence_spans(text) if split else [(0, len(text))]
        units.extend((index, start, end) for start, end in spans)
        _check(deadline)
        if max_sentences is not None and len(units) > max_sentences:
            raise ApiError(422, "too_many_sentences",
                           f"the texts hold more than {max_sentences} sentences; at most "
                           f"{max_sentences} per request, so send them in several requests")
    predictions = []
    for first in range(0, len(units), _CHUNK):
        predictions.extend(predict(model, [texts[i][s:e] for i, s, e
                                           in units[first:first + _CHUNK]], explain=explain))
        _check(deadline)
        time.sleep(0)   # under gevent, lets this worker's other connections be answered
    results = [{"sentences": [], "summary": dict.fromkeys([*model.label_ids, NONE], 0)}
               for _ in texts]
    for (index, start, end), prediction in zip(units, predictions):
        sentence = {"text": texts[index][start:end], "start": start, "end": end,
                    "labels": prediction["labels"], "label": prediction["label"],
                    "scores": prediction["scores"]}
        if explain:
            sentence["explanation"] = prediction["explanation"]
        results[index]["sentences"].append(sentence)
        summary = results[index]["summary"]
        for label in prediction["labels"] or [NONE]:
            summary[label] += 1
    return results
