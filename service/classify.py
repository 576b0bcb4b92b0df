"""The work behind POST /classify: segment, predict, count. No HTTP here."""
from train.labelset import NONE
from train.predict import predict

from .segment import sentence_spans


def classify_texts(model, texts, split=True, explain=False):
    """One result per text: its sentences (with offsets, labels, top label, scores and,
    with ``explain``, explanations) and a count of sentences per label and ``none``."""
    units = []
    for index, text in enumerate(texts):
        spans = sentence_spans(text) if split else [(0, len(text))]
        units.extend((index, start, end) for start, end in spans)
    predictions = predict(model, [texts[i][s:e] for i, s, e in units], explain=explain)
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
