"""`make bench`: the speed and memory of casus on this machine, as one JSON summary.

Prints the summary and writes it to bench/results.json:
- in-process prediction on 10,000 corpus sentences (one core), with and without
  segmentation, and one sentence's latency;
- the real gunicorn server (as `make serve`) on loopback: cold start, requests/s and
  p50/p95/p99 for one-sentence requests at concurrency 1, 16 and 64, sentences/s for
  batches of 100 sentences and its ratio to in-process, and worker memory (RSS);
- training time of the default model at 1x, 4x and 16x the corpus (resampled).

Options: --seconds (per load level, default 10), --no-training, --out FILE.
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inprocess import best_rate, inprocess_figures  # noqa: E402
from loadgen import request_bytes, run_load, served, worker_rss_mb  # noqa: E402
from sklearn.base import clone  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from train.artifacts import load_model  # noqa: E402
from train.candidates import select_candidates  # noqa: E402
from train.corpus import load_corpus  # noqa: E402
from train.labelset import load_labelset  # noqa: E402
from train.metrics import indicator  # noqa: E402
from train.predict import predict  # noqa: E402
from train.split import load_split, partition  # noqa: E402


def same_batches_in_process(model, batches):
    """Sentences/s of ``predict`` on exactly the batches sent over HTTP (one core)."""
    with threadpool_limits(limits=1):
        return best_rate(lambda: [predict(model, batch) for batch in batches],
                         sum(map(len, batches)))


def http_figures(model, sentences, seconds):
    """Cold start, latency and throughput over HTTP, and the workers' memory."""
    result = {}
    texts = [sentences[i:i + 100] for i in range(0, 2000, 100)]
    in_process = same_batches_in_process(model, texts)
    result["in_process_same_batches_per_s"] = in_process
    with served() as (port, master, cold_start):
        result["cold_start_s"] = round(cold_start, 2)
        singles = [request_bytes(port, "/classify", {"text": s}) for s in sentences[:500]]
        result["single_sentence"] = [run_load(port, singles, c, seconds) for c in (1, 16, 64)]
        batches = [request_bytes(port, "/classify", {"texts": batch, "split": False})
                   for batch in texts]
        for concurrency in (1, 2):
            load = run_load(port, batches, concurrency, seconds)
            load["sentences_per_s"] = round(load["requests_per_s"] * 100)
            # against one in-process core per busy worker
            load["ratio_to_in_process"] = round(
                load["sentences_per_s"] / (in_process * concurrency), 3)
            result[f"batch_100_concurrency_{concurrency}"] = load
        result["rss_mb"] = worker_rss_mb(master)
    return result


def training_figures(factors=(1, 4, 16), seed=0):
    """Seconds to fit the default candidate on the training part resampled to each size."""
    labelset = load_labelset()
    train, _ = partition(load_corpus(labelset=labelset), load_split())
    name, pipeline = next(iter(select_candidates(["svm"], random_state=seed).items()))
    figures = {"candidate": name, "base_sentences": len(train), "fits": []}
    for factor in factors:
        sample = random.Random(seed).choices(train, k=len(train) * factor)
        y = indicator([e.labels for e in sample], labelset.ids)
        started = time.perf_counter()
        clone(pipeline).fit([e.text for e in sample], y)
        seconds = time.perf_counter() - started
        figures["fits"].append({"factor": factor, "sentences": len(sample),
                                "seconds": round(seconds, 1),
                                "microseconds_per_sentence": round(seconds / len(sample) * 1e6)})
    return figures


def main():
    """Run every measurement and print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-training", action="store_true")
    parser.add_argument("--out", default="bench/results.json")
    args = parser.parse_args()
    model = load_model()
    texts = [e.text for e in load_corpus()]
    sentences = random.Random(0).choices(texts, k=10_000)
    summary = {"model_version": model.version, "machine_cores": 2}
    summary["in_process"] = inprocess_figures(model, sentences)
    summary["http"] = http_figures(model, sentences, args.seconds)
    if not args.no_training:
        summary["training"] = training_figures()
    text = json.dumps(summary, indent=1)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
