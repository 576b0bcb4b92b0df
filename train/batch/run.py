"""A whole ``casus classify`` run: plan the partitions, classify them on this process,
on worker processes, or on a Dask cluster, and join the parts into the output.

Partitions are handed out a few at a time (never more than twice the number of workers
waiting), each worker writes its part to the parts directory beside the output
(``.<output>.parts/``), and the output is joined from the parts in partition order, so
the result is the same whichever way it ran, and memory does not grow with the input.
The parts directory is kept until the output is complete: ``--resume`` after an
interruption classifies only the partitions that have no part yet.
"""
import json
import logging
import os
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

from train.model import versions

from .inputs import Columns, expand_inputs, plan_partitions
from .outputs import output_format, write_output
from .work import Options, part_paths, process_partition

log = logging.getLogger("casus.classify")
#: Partitions waiting per worker: one running, one ready, so no worker idles.
IN_FLIGHT_PER_WORKER = 2


def parts_dir_for(output):
    """Where the parts of ``output`` are kept until it is complete."""
    output = Path(output)
    return output.with_name(f".{output.name}.parts")


def classify_collection(inputs, output, columns=Columns(), options=Options(), workers=1,
                        dask=None, resume=False, root=versions.DEFAULT_ROOT, version=None,
                        progress=None):
    """Classify every document of ``inputs`` into ``output``; returns the summary
    (documents, sentences, seconds, sentences per second, errors, errors file)."""
    started = time.perf_counter()
    output_format(output)                       # refuse a wrong extension before any work
    files = expand_inputs(inputs)
    options = Options(**{**asdict(options), "with_file": len(files) > 1})
    model = versions.load_model(version, root)
    partitions = plan_partitions(files)
    parts_dir = parts_dir_for(output)
    plan = {"inputs": [[str(f), os.path.getsize(f), os.path.getmtime(f)] for f in files],
            "columns": asdict(columns), "options": asdict(options),
            "model_version": model.version, "partitions": len(partitions)}
    done = _resume(parts_dir, plan, resume)
    todo = [p for p in partitions if p.index not in done]
    log.info(f"{len(files)} file(s), {len(partitions)} partition(s), model {model.version}"
             + (f"; resuming: {len(done)} partition(s) already done" if done else ""))
    tracker = _Tracker(partitions, done, progress)
    if dask:
        _on_dask(dask, model, root, todo, columns, options, parts_dir, tracker, workers)
    elif workers > 1 and len(todo) > 1:
        _on_processes(workers, model, todo, columns, options, parts_dir, tracker, root)
    else:
        for partition in todo:
            tracker.done(process_partition(model, partition, columns, options, parts_dir))
    tracker.close()
    records = [json.loads(part_paths(parts_dir, p.index)[1].read_text(encoding="utf-8"))
               for p in partitions]
    column_order = {}
    for record in records:
        column_order.update(dict.fromkeys(record["columns"]))
    write_output(output, parts_dir, len(partitions), list(column_order))
    errors = [error for record in records for error in record["errors"]]
    errors_path = Path(output).with_name(Path(output).name + ".errors.jsonl")
    if errors:
        _write_lines(errors_path, errors)
    elif errors_path.exists():
        errors_path.unlink()                    # from an earlier run of the same output
    shutil.rmtree(parts_dir)
    seconds = time.perf_counter() - started
    sentences = sum(r["sentences"] for r in records)
    return {"documents": sum(r["documents"] for r in records), "sentences": sentences,
            "seconds": round(seconds, 1),
            "sentences_per_second": round(sentences / seconds) if seconds else None,
            "errors": len(errors), "errors_file": str(errors_path) if errors else None,
            "output": str(output), "model_version": model.version,
            "workers": workers, "dask": dask, "partitions": len(partitions),
            "resumed_partitions": len(done)}


def _resume(parts_dir, plan, resume):
    """The partitions already done by an interrupted run of the same plan (with
    ``resume``); otherwise a fresh, empty parts directory."""
    plan_file = parts_dir / "plan.json"
    if resume and plan_file.is_file():
        if json.loads(plan_file.read_text(encoding="utf-8")) != plan:
            raise ValueError(f"--resume: the inputs, options or model differ from the "
                             f"interrupted run's ({plan_file}); run without --resume to "
                             "start again")
        return {int(p.stem.split("-")[1]) for p in parts_dir.glob("part-*.json")}
    if parts_dir.exists():
        shutil.rmtree(parts_dir)
    parts_dir.mkdir(parents=True)
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    return set()


def _write_lines(path, rows):
    staging = path.with_name(f".{path.name}.tmp")
    with open(staging, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(staging, path)


# -- worker processes on this machine ------------------------------------------------
_MODEL = None


def _load_in_worker(version, root):
    """A worker process's initializer: load the serving form once."""
    global _MODEL
    _MODEL = versions.load_model(version, root)


def _in_worker(partition, columns, options, parts_dir):
    return process_partition(_MODEL, partition, columns, options, parts_dir)


def _on_processes(workers, model, todo, columns, options, parts_dir, tracker, root):
    # spawned, not forked: this process may hold threads (the progress bar's) and
    # locks that a fork would copy in an undefined state
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=_load_in_worker,
                             initargs=(model.version, str(root))) as pool:
        _bounded(lambda p: pool.submit(_in_worker, p, columns, options, str(parts_dir)),
                 todo, workers * IN_FLIGHT_PER_WORKER, tracker,
                 lambda future: future.result(), wait)


def _bounded(submit, todo, limit, tracker, result_of, wait_any):
    """Submit partitions with at most ``limit`` waiting; record each as it completes."""
    pending, queue = set(), list(reversed(todo))
    while queue or pending:
        while queue and len(pending) < limit:
            pending.add(submit(queue.pop()))
        finished, pending = wait_any(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            tracker.done(result_of(future))


# -- a Dask cluster ------------------------------------------------------------------
_DASK_MODELS = {}
#: Dask settings for the workers of ``--dask local``. With Dask's defaults a partition
#: took 7.0-7.9 s on a worker against 3.0-3.2 s in a plain process, half the CPU time in
#: the kernel: Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also stops
#: glibc from raising its mmap threshold, so every numpy array over 128 KB is mapped,
#: faulted in page by page and unmapped again (strace: 2,300 mmap/munmap pairs in 3 s).
#: Without it glibc's defaults apply, as in any other process. The sampling profiler (a
#: stack sample every 10 ms) is off too. For a cluster of your own, start the workers the
#: same way (README, "Classifying collections").
QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                 "distributed.nanny.pre-spawn-environ": {}}


def _on_dask_worker(payload, partition, columns, options, parts_dir):
    """Run on a Dask worker: the model built once per worker process from the payload
    sent to it once (``client.scatter(..., broadcast=True)``)."""
    manifest, data = payload
    model = _DASK_MODELS.get(manifest["version"])
    if model is None:
        model = _DASK_MODELS[manifest["version"]] = versions.model_from_payload(manifest,
                                                                                data)
    return process_partition(model, partition, columns, options, parts_dir)


def _on_dask(address, model, root, todo, columns, options, parts_dir, tracker, workers):
    import dask
    from distributed import Client, LocalCluster, wait as dask_wait
    cluster = None
    if address == "local":
        with dask.config.set(QUIET_WORKERS):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
        address = cluster.scheduler_address
    try:
        with Client(address) as client:
            n = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
            log.info(f"Dask cluster at {address}: {n} worker(s)")
            payload = client.scatter(versions.serving_payload(model.version, root),
                                     broadcast=True)
            parts = str(Path(parts_dir).resolve())

            def submit(p):
                return client.submit(_on_dask_worker, payload, p, columns, options, parts,
                                     pure=False)
            _bounded(submit, todo, n * IN_FLIGHT_PER_WORKER, tracker,
                     lambda future: future.result(),
                     lambda fs, return_when: _dask_wait(dask_wait, fs))
    finally:
        if cluster is not None:
            cluster.close()


def _dask_wait(dask_wait, futures):
    done, pending = dask_wait(list(futures), return_when="FIRST_COMPLETED")
    return set(done), set(pending)


# -- progress ------------------------------------------------------------------------
class _Tracker:
    """Progress by bytes of input done: a bar with rate and time left on a terminal,
    otherwise a log line per partition (at most one every 5 seconds)."""

    def __init__(self, partitions, done, progress):
        self.total = sum(p.size for p in partitions) or 1
        self.bytes = sum(p.size for p in partitions if p.index in done)
        self.sentences = 0
        self.started = time.perf_counter()
        self.last_line = 0.0
        self.count, self.of = len(done), len(partitions)
        use_bar = sys.stderr.isatty() if progress is None else progress
        self.bar = None
        if use_bar:
            from tqdm import tqdm
            self.bar = tqdm(total=self.total, initial=self.bytes, unit="B", unit_scale=True,
                            desc="classifying", file=sys.stderr)

    def done(self, record):
        self.bytes += record["size"]
        self.sentences += record["sentences"]
        self.count += 1
        elapsed = time.perf_counter() - self.started
        rate = self.sentences / elapsed if elapsed else 0
        if self.bar is not None:
            self.bar.update(record["size"])
            self.bar.set_postfix(sentences=self.sentences, per_s=round(rate))
        elif time.monotonic() - self.last_line >= 5 or self.count == self.of:
            self.last_line = time.monotonic()
            share = self.bytes / self.total
            left = elapsed * (1 - share) / share if share else 0
            log.info(f"{self.count}/{self.of} partitions, {self.sentences:,} sentences, "
                     f"{rate:,.0f} sentences/s, about {left:,.0f} s left")

    def close(self):
        if self.bar is not None:
            self.bar.close()
