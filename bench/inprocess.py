"""In-process speed of the prediction function on one core, with and without sentence
segmentation, and the latency of one sentence."""
import random
import statistics
import time

from threadpoolctl import threadpool_limits

from service.classify import classify_texts
from train.model.predict import predict


def best_rate(run, items, repeats=3):
    """Items per second of ``run()`` over ``items`` items (best of ``repeats``)."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = max(best, items / (time.perf_counter() - started))
    return round(best)


def inprocess_figures(model, sentences):
    """Sentences/s for ``predict`` in batches of 1,000 and 100, with explanations, and for
    ``classify_texts`` on documents of 10 sentences (segmentation included); the median
    and p99 time of ``predict`` on one sentence. All on one core."""
    docs = [" ".join(sentences[i:i + 10]) for i in range(0, len(sentences), 10)]
    segmented = sum(len(r["sentences"]) for r in classify_texts(model, docs))

    def batches(size, **options):
        return lambda: [predict(model, sentences[i:i + size], **options)
                        for i in range(0, len(sentences), size)]

    with threadpool_limits(limits=1):
        figures = {
            "sentences": len(sentences), "cores": 1,
            "no_segmentation_batch_1000_per_s": best_rate(batches(1000), len(sentences)),
            "no_segmentation_batch_100_per_s": best_rate(batches(100), len(sentences)),
            "with_segmentation_docs_of_10_per_s": best_rate(
                lambda: [classify_texts(model, docs[i:i + 100])
                         for i in range(0, len(docs), 100)], segmented),
            "explain_batch_1000_per_s": best_rate(
                lambda: predict(model, sentences[:2000], explain=True), 2000, repeats=1),
        }
        sample = random.Random(1).sample(sentences, 2000)
        times = []
        for sentence in sample:
            started = time.perf_counter()
            predict(model, [sentence])
            times.append(time.perf_counter() - started)
    figures["one_sentence_predict_p50_ms"] = round(statistics.median(times) * 1000, 3)
    figures["one_sentence_predict_p99_ms"] = round(sorted(times)[int(len(times) * .99)] * 1000, 3)
    return figures
