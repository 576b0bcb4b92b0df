"""In-process throughput of the prediction function on one core.

Usage: python bench/inprocess.py [--n 10000] [--out FILE]
Prints one JSON object (and writes it to --out): sentences per second for ``predict``
without and with explanations, on sentences drawn from the corpus, with every native
thread pool limited to one thread.
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from train.artifacts import load_model  # noqa: E402
from train.corpus import load_corpus  # noqa: E402
from train.predict import predict  # noqa: E402


def throughput(model, sentences, batch, **options):
    """Sentences per second over ``sentences`` in batches of ``batch`` (best of 3 runs)."""
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for i in range(0, len(sentences), batch):
            predict(model, sentences[i:i + batch], **options)
        best = max(best, len(sentences) / (time.perf_counter() - started))
    return round(best)


def main():
    """Run the benchmark and print its JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--out", default="bench/inprocess.json")
    args = parser.parse_args()
    model = load_model()
    texts = [e.text for e in load_corpus()]
    sentences = random.Random(0).choices(texts, k=args.n)
    with threadpool_limits(limits=1):
        result = {
            "model_version": model.version, "sentences": args.n, "cores": 1,
            "sentences_per_s_batch_1000": throughput(model, sentences, 1000),
            "sentences_per_s_batch_100": throughput(model, sentences, 100),
            "sentences_per_s_batch_1000_explain": throughput(model, sentences[:2000], 1000,
                                                             explain=True),
        }
    text = json.dumps(result, indent=1)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
