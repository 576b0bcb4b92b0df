"""Uncertainty sampling: which unlabelled sentences would teach the model most."""
from train.model.predict import predict


def least_certain(model, texts, n):
    """The ``n`` texts whose scores sit closest to a label's threshold, most uncertain
    first, each with the model's current reading and that distance (``margin``)."""
    if not texts:
        return []
    items = []
    for text, result in zip(texts, predict(model, texts)):
        margin = min(abs(result["scores"][label] - model.thresholds[label])
                     for label in model.label_ids)
        items.append({"text": text, "labels": result["labels"], "scores": result["scores"],
                      "margin": round(margin, 4)})
    items.sort(key=lambda item: item["margin"])
    return items[:n]
