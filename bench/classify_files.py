"""`make bench-classify`: `casus classify` on a generated collection, side by side.

Writes N generated corpus sentences (default 1,000,000; documents of one to three of
them per line; a corpus sentence is sometimes two, so about 1.13 million sentences are
classified, about 180 MB) as JSONL, then classifies it with one
worker process, with ``--workers 2`` and with ``--dask local`` (two workers), sampling
the memory of the whole process tree (the command, its workers, a Dask scheduler and
nannies) every 0.2 s. Prints rates, their ratios (targets: two workers at least 1.8x
one; Dask at least 0.85x two workers), the peak memory of each run (target: at most
600 MB), and whether the three outputs are identical. ``--sizes-mb 10,1000`` also
compares the peak memory of two-worker runs on inputs of those sizes.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from train.model.versions import file_sha256  # noqa: E402
from train.pipeline.corpus import load_corpus  # noqa: E402


def generate(path, sentences, seed=0):
    """A JSONL file of documents holding ``sentences`` corpus sentences in all (rates are
    counted from the sentences classified, as the summary line gives them)."""
    texts = [e.text for e in load_corpus()]
    rnd = random.Random(seed)
    written, number = 0, 0
    with open(path, "w", encoding="utf-8") as out:
        while written < sentences:
            k = min(rnd.randint(1, 3), sentences - written)
            out.write(json.dumps({"id": f"doc-{number}", "text": " ".join(rnd.choices(texts, k=k)),
                                  "source": rnd.choice(["wire", "un", "post"])}) + "\n")
            written += k
            number += 1
    return path


def run(args, workdir):
    """Run ``casus classify`` with ``args``; returns seconds, peak tree RSS (MB) and the
    summary line."""
    command = [sys.executable, "-m", "train", "classify", *args, "--no-progress"]
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(f"casus classify failed: {err}")
    return {"seconds": round(time.perf_counter() - started, 1),
            "peak_mb": round(peak / 2**20), "summary": out.strip().splitlines()[-1]}


def main():
    """Run the comparison and print one JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--sizes-mb", default="", help="e.g. 10,1000: peak memory by size")
    parser.add_argument("--out", default="bench/classify_files.json")
    args = parser.parse_args()
    result = {"sentences": args.sentences, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as scratch:
        source = generate(Path(scratch) / "in.jsonl", args.sentences)
        result["input_mb"] = round(source.stat().st_size / 2**20)
        runs = {"workers_1": ["--workers", "1"], "workers_2": ["--workers", "2"],
                "dask_local_2": ["--workers", "2", "--dask", "local"]}
        hashes = {}
        for name, extra in runs.items():
            output = Path(scratch) / f"{name}.jsonl"
            result[name] = run([str(source), "-o", str(output), *extra], scratch)
            classified = int(result[name]["summary"].split(" documents, ")[1]
                             .split(" sentences")[0].replace(",", ""))
            result[name]["sentences_per_second"] = round(classified /
                                                         result[name]["seconds"])
            hashes[name] = file_sha256(output)
            output.unlink()
        result["two_over_one"] = round(result["workers_1"]["seconds"] /
                                       result["workers_2"]["seconds"], 2)
        result["dask_over_two"] = round(result["workers_2"]["seconds"] /
                                        result["dask_local_2"]["seconds"], 2)
        result["outputs_identical"] = len(set(hashes.values())) == 1
        source.unlink()
        sizes = {}
        for mb in [int(x) for x in args.sizes_mb.split(",") if x]:
            sized = generate(Path(scratch) / f"in-{mb}.jsonl", mb * 2**20 // 150)
            output = Path(scratch) / f"out-{mb}.jsonl"
            sizes[f"{mb}_mb"] = run([str(sized), "-o", str(output), "--workers", "2"],
                                    scratch)
            sized.unlink()
            output.unlink()
        if sizes:
            result["peak_memory_by_input_size"] = sizes
    text = json.dumps(result, indent=1)
    print(text)
    Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
