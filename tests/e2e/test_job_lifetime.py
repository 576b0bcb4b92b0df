"""A training job never outlives what started it, and nothing it started outlives it:
killed on its own, with its service, or both, no process of its tree is left, and a job
whose service has gone never promotes a version."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from proctree import alive, process_tree, wait_for_line, wait_until

from train.model import versions
from train.retraining.jobs import end_group, job_status
from train.retraining.store import ExampleStore

ROOT = Path(__file__).resolve().parents[2]
#: Killed once its first fold is in, with seconds of work left on any machine (see
#: test_retraining.KILLED): the kill waits for that event, never for a timer.
KILLED = ["--folds", "5", "--candidates", "word-lr"]


def python(code, **options):
    """Start ``python -c code`` in the project, its stdout a pipe of text lines."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, **options)


def gone(tree, timeout=20):
    """Wait until no process of ``tree`` runs any more."""
    wait_until(lambda: not alive(tree), timeout,
               lambda: f"every process ends; still running: {alive(tree)}")


@pytest.mark.slow
def test_a_job_whose_service_dies_stops_with_its_workers_and_never_promotes(save_tiny,
                                                                            tmp_path):
    save_tiny("v1", active=True)
    data = tmp_path / "data"
    service = python(f"""
        import signal
        from train.retraining.jobs import start_job
        from train.retraining.store import ExampleStore
        print(start_job(ExampleStore({str(data)!r}), ["--root", {str(save_tiny.root)!r},
                                                      *{KILLED!r}]), flush=True)
        signal.pause()
        """)
    try:
        job = service.stdout.readline().strip()
        wait_for_line(data / "jobs" / f"{job}.log", "fold 1/")
        store = ExampleStore(data)
        record = store.job(job)
        assert record["state"] == "running"
        tree = process_tree(record["pid"])
        assert len(tree) >= 3, tree                 # the job and its loky workers at least
    finally:
        service.kill()                              # SIGKILL: the service cannot clean up
        service.wait()
    gone(tree)
    assert "has gone; stopping" in (data / "jobs" / f"{job}.log").read_text()
    assert versions.active_version(save_tiny.root) == "v1"
    assert versions.list_versions(save_tiny.root) == ["v1"]
    assert job_status(store, job)["state"] == "failed"


def test_loky_workers_exit_soon_after_the_process_that_started_them_is_killed():
    # Without the initializer they would idle for loky's five-minute timeout.
    trainer = python("""
        import os, time
        from joblib import Parallel, delayed
        from train.retraining.jobs import workers_die_with_this_process
        with workers_die_with_this_process():
            Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(4))
        print("ready", flush=True)
        time.sleep(600)
        """)
    try:
        assert trainer.stdout.readline().strip() == "ready"
        tree = process_tree(trainer.pid)
        assert len(tree) >= 3, tree                 # the trainer and two workers at least
    finally:
        trainer.kill()                              # the trainer alone, not its group
        trainer.wait()
    gone(tree, timeout=10)


def test_a_process_watching_its_parent_ends_its_whole_group_when_the_parent_dies():
    # The job's side of a service dying: the job leads its own group (a new session),
    # and everything it started is in it.
    parent = python("""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", '''
        import os, subprocess, time
        from train.retraining.jobs import die_with_parent
        die_with_parent(os.getppid())
        grandchild = subprocess.Popen(["sleep", "600"])
        print(os.getpid(), flush=True)
        time.sleep(600)
        '''], stdout=subprocess.PIPE, text=True, start_new_session=True)
        print(child.stdout.readline().strip(), flush=True)
        time.sleep(600)
        """)
    try:
        job = int(parent.stdout.readline())
        wait_until(lambda: len(process_tree(job)) == 2, 10, "the grandchild starts")
        tree = process_tree(job)
    finally:
        parent.kill()
        parent.wait()
    gone(tree, timeout=10)


def test_ending_a_group_kills_even_a_member_that_ignores_sigterm():
    group = python("""
        import signal, subprocess, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        subprocess.Popen(["sleep", "600"])
        print("ready", flush=True)
        time.sleep(600)
        """, start_new_session=True)
    assert group.stdout.readline().strip() == "ready"
    tree = process_tree(group.pid)
    assert len(tree) == 2, tree
    end_group(group.pid, grace=0.5)
    group.wait(timeout=10)
    gone(tree, timeout=10)


def test_ending_a_group_that_has_already_ended_is_harmless():
    process = subprocess.Popen(["true"], start_new_session=True)
    process.wait()                                  # as a job that finished cleanly
    end_group(process.pid, grace=5)                 # returns at once: nobody is left
