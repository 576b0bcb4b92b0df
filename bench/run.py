"""`make bench`: the speed and memory of casus on this machine, as one JSON summary.

Prints the summary and writes it to bench/results.json:
- in-process prediction on 10,000 corpus sentences (one core), with and without
  segmentation, and one sentence's latency;
- the real gunicorn server (as `make serve`) on loopback: cold start, requests/s and
  p50/p95/p99 for one-sentence requests at concurrency 1, 16 and 64, sentences/s for
  batches of 100 sentences and its ratio to in-process, and worker memory (RSS);
- the cost of classified-sentence logging (``CASUS_LOG_CLASSIFIED=1``): single-sentence
  requests/s and CPU ms per request at 8 clients with logging off and on (the log
  pre-filled to 100,000 sentences), two servers side by side, as ratios (target: on/off
  throughput at least 0.9), and whether every answered sentence was logged;
- the cost of Prometheus metrics: single-sentence requests/s at 16 clients with metrics
  counted and scraped every second against not counted, two servers side by side, as the
  median ratio of alternating rounds (target: at least 0.95);
- training time of the default model at 1x, 4x and 16x the corpus (resampled);
- a whole retraining with no stored examples and with 1,000 (target: at most 2 minutes).

Options: --seconds (per load level, default 10), --no-training, --only-logging,
--out FILE.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inprocess import best_rate, inprocess_figures  # noqa: E402
from loadgen import request_bytes, run_load, served, worker_rss_mb  # noqa: E402
from sklearn.base import clone  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from train.model.labelset import load_labelset  # noqa: E402
from train.model.predict import predict  # noqa: E402
from train.model.versions import load_model  # noqa: E402
from train.pipeline.candidates import select_candidates  # noqa: E402
from train.pipeline.corpus import load_corpus  # noqa: E402
from train.pipeline.metrics import indicator  # noqa: E402
from train.pipeline.split import load_split, partition  # noqa: E402
from train.retraining.store import LOG_KEEP, ClassifiedLog  # noqa: E402


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


def _prefill_log(data_dir, texts, n):
    """Log ``n`` distinct sentences (corpus texts with a letter tag, as keys fold digits)."""
    def tag(i):
        return "".join(chr(97 + i // 26 ** k % 26) for k in range(4))
    log = ClassifiedLog(data_dir)
    log.append([f"{texts[i % len(texts)]} [{tag(i)}]" for i in range(n)], "prefill")
    log.close()


def _cpu_seconds(master):
    """CPU seconds (user + system) used so far by the server: master and workers."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in [master, *children]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])   # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def logging_figures(sentences, seconds, concurrency=8, rounds=10):
    """Single-sentence /classify with classified-sentence logging off and on (the log
    pre-filled to ``LOG_KEEP`` sentences), two real servers side by side: requests/s,
    and CPU milliseconds per request. Each of ``rounds`` loads one server for
    ``seconds / 5``, then the other (in turn first), and the cost is the median of the
    rounds' ratios: on a shared machine, other work moved single 2-second runs by ±20%
    (two servers both without logging: rounds from 0.81 to 2.0, median 0.97, the one
    started second the slower), so half the rounds start the other server first."""
    with tempfile.TemporaryDirectory(prefix="casus-bench-") as scratch:
        dirs = {"off": Path(scratch, "off"), "on": Path(scratch, "on")}
        _prefill_log(dirs["on"], sentences, LOG_KEEP)
        settings = {name: {"CASUS_DATA_DIR": str(path),
                           "CASUS_LOG_CLASSIFIED": "1" if name == "on" else ""}
                    for name, path in dirs.items()}
        runs = {"off": [], "on": []}
        answered_on = 0
        for first, second in (("off", "on"), ("on", "off")):   # either started first
            with served(env=settings[first]) as (port_1, master_1, _), \
                    served(env=settings[second]) as (port_2, master_2, _):
                answered_on += 1   # served() waits for one answered /classify
                servers = {first: (port_1, master_1), second: (port_2, master_2)}
                for round_ in range(rounds // 2):
                    for name in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                        port, master = servers[name]
                        # split: false, so one request logs exactly one sentence (and
                        # the cost is set against the cheapest request: no segmenting)
                        singles = [request_bytes(port, "/classify",
                                                 {"text": s, "split": False})
                                   for s in sentences[:5000]]
                        warm = run_load(port, singles, concurrency, 0.3, warmup=0)
                        used = _cpu_seconds(master)
                        load = run_load(port, singles, concurrency, seconds / 5, warmup=0)
                        load["cpu_s"] = _cpu_seconds(master) - used
                        runs[name].append(load)
                        if name == "on":
                            answered_on += warm["requests"] + load["requests"]
        # the servers have exited, and each worker wrote its queue at exit
        log = ClassifiedLog(dirs["on"])
        newest = log.newest_id()
        rows = log.count()
        log.close()

    def median(values):
        return round(statistics.median(values), 3)

    result = {"concurrency": concurrency, "prefilled": LOG_KEEP, "rounds": rounds}
    for name, loads in runs.items():
        requests = sum(r["requests"] for r in loads)
        result[name] = {"requests": requests,
                        "requests_per_s": round(requests / sum(r["seconds"] for r in loads), 1),
                        "cpu_ms_per_request": round(sum(r["cpu_s"] for r in loads)
                                                    / requests * 1000, 3),
                        "errors": sum(r["errors"] for r in loads),
                        "p50_ms_median": median(r["p50_ms"] for r in loads),
                        "p99_ms_median": median(r["p99_ms"] for r in loads)}
    pairs = list(zip(runs["off"], runs["on"]))
    result["throughput_on_to_off"] = median(on["requests_per_s"] / off["requests_per_s"]
                                            for off, on in pairs)
    result["cpu_per_request_on_to_off"] = median(
        (on["cpu_s"] / on["requests"]) / (off["cpu_s"] / off["requests"]) for off, on in pairs)
    result["throughput_on_to_off_by_round"] = [
        round(on["requests_per_s"] / off["requests_per_s"], 3) for off, on in pairs]
    # every answer with logging on (warm-ups and the start-up probe too) against the
    # sentences written: equal when nothing was dropped
    result["answered_with_logging_on"] = answered_on
    result["sentences_logged"] = newest - LOG_KEEP
    result["log_rows"] = rows
    return result


def metrics_figures(sentences, seconds, concurrency=16, rounds=10):
    """Single-sentence /classify at ``concurrency`` clients on two real servers side by
    side, metrics counted and scraped once a second (``CASUS_METRICS=open``) and not
    counted at all (``off``): requests/s per round, alternating which goes first and
    which server was started first (as ``logging_figures`` does, for the same reason),
    and the median ratio (target: on/off at least 0.95)."""
    import threading
    import urllib.request
    runs = {"off": [], "on": []}
    scrapes = {"count": 0, "errors": 0}
    settings = {"on": {"CASUS_METRICS": "open"}, "off": {"CASUS_METRICS": "off"}}
    for first, second in (("on", "off"), ("off", "on")):
        with served(env=settings[first]) as (port_1, _, _), \
                served(env=settings[second]) as (port_2, _, _):
            ports = {first: port_1, second: port_2}
            stop = threading.Event()

            def scrape():   # as Prometheus would, but every second rather than every 15
                while not stop.wait(1.0):
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{ports['on']}/metrics",
                                                    timeout=5) as response:
                            response.read()
                        scrapes["count"] += 1
                    except OSError:
                        scrapes["errors"] += 1
            scraper = threading.Thread(target=scrape, daemon=True)
            scraper.start()
            try:
                for round_ in range(rounds // 2):
                    for name in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                        singles = [request_bytes(ports[name], "/classify",
                                                 {"text": s, "split": False})
                                   for s in sentences[:5000]]
                        run_load(ports[name], singles, concurrency, 0.3, warmup=0)
                        runs[name].append(run_load(ports[name], singles, concurrency,
                                                   seconds / 5, warmup=0))
            finally:
                stop.set()
                scraper.join(timeout=10)
    ratios = [on["requests_per_s"] / off["requests_per_s"]
              for off, on in zip(runs["off"], runs["on"])]
    return {"concurrency": concurrency, "rounds": rounds,
            "on_requests_per_s": round(statistics.median(r["requests_per_s"]
                                                         for r in runs["on"]), 1),
            "off_requests_per_s": round(statistics.median(r["requests_per_s"]
                                                          for r in runs["off"]), 1),
            "throughput_on_to_off": round(statistics.median(ratios), 3),
            "throughput_on_to_off_by_round": [round(r, 3) for r in ratios],
            "errors": sum(r["errors"] for loads in runs.values() for r in loads),
            "scrapes": scrapes["count"], "scrape_errors": scrapes["errors"]}


def training_figures(factors=(1, 4, 16), seed=0):
    """Seconds to fit the default candidate on the training part resampled to each size."""
    labelset = load_labelset()
    training, _ = partition(load_corpus(labelset=labelset), load_split())
    name, pipeline = next(iter(select_candidates(["svm"], random_state=seed).items()))
    figures = {"candidate": name, "base_sentences": len(training), "fits": []}
    for factor in factors:
        sample = random.Random(seed).choices(training, k=len(training) * factor)
        y = indicator([e.labels for e in sample], labelset.ids)
        started = time.perf_counter()
        clone(pipeline).fit([e.text for e in sample], y)
        seconds = time.perf_counter() - started
        figures["fits"].append({"factor": factor, "sentences": len(sample),
                                "seconds": round(seconds, 1),
                                "microseconds_per_sentence": round(seconds / len(sample) * 1e6)})
    return figures


def retrain_figures(stored=1000, seed=0):
    """Seconds of a whole retraining (cross-validation, final fit, evaluation, gate) of
    the default model with no stored examples and with ``stored`` of them, side by side.
    The stored rows are training sentences of the corpus behind a wire attribution, so
    they are new texts of the corpus's length and label mix."""
    from train.pipeline.records import Example
    from train.retraining.retrain import retrain
    from train.retraining.store import ExampleStore
    labelset = load_labelset()
    training, _ = partition(load_corpus(labelset=labelset), load_split())
    rows = [Example(text=f"Speaking to reporters on Monday, the spokesperson said: {e.text}",
                    labels=e.labels, where="bench", meta={"conflict": "bench"})
            for e in random.Random(seed).sample(training, stored)]
    figures = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, examples in (("without", []), ("with", rows)):
            store = ExampleStore(Path(scratch) / name / "data")
            store.add(examples)
            started = time.perf_counter()
            result = retrain(store, root=Path(scratch) / name / "models", labelset=labelset,
                             seed=seed)
            figures[name] = {"stored_examples": result["stored_examples"],
                             "seconds": round(time.perf_counter() - started, 1)}
    figures["with_over_without"] = round(figures["with"]["seconds"] /
                                         figures["without"]["seconds"], 2)
    return figures


def main():
    """Run every measurement and print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-training", action="store_true")
    parser.add_argument("--only-logging", action="store_true",
                        help="measure only the cost of classified-sentence logging")
    parser.add_argument("--out", default="bench/results.json")
    args = parser.parse_args()
    model = load_model()
    texts = [e.text for e in load_corpus()]
    sentences = random.Random(0).choices(texts, k=10_000)
    summary = {"model_version": model.version, "machine_cores": 2}
    if not args.only_logging:
        summary["in_process"] = inprocess_figures(model, sentences)
        summary["http"] = http_figures(model, sentences, args.seconds)
    summary["classified_log"] = logging_figures(sentences, args.seconds)
    summary["metrics"] = metrics_figures(sentences, args.seconds)
    if not (args.no_training or args.only_logging):
        summary["training"] = training_figures()
        summary["retraining"] = retrain_figures()
    text = json.dumps(summary, indent=1)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
