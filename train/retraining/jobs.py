"""Training jobs: one at a time, in a child process, surviving nothing but recorded.

A lock file held with ``flock`` says a training is running. The kernel drops it when
the process holding it ends in any way, SIGKILL included, so a job still marked queued
or running while nobody holds the lock is known to have died; it is marked failed the
next time anyone looks. Training writes its version under a temporary name and only the
gate moves ``ACTIVE``, so a killed trainer leaves the served model untouched.

A job never outlives what started it, and nothing it started outlives the job:

- the job runs in a session (and process group) of its own, which its cross-validation
  workers (joblib/loky processes) join; when the job ends in any way, the service
  worker that waits for it kills whatever is left of that group;
- the job watches its parent, the service worker: once that is gone (killed, restarted),
  the job kills its own group, and it never promotes a version without checking, under
  the activation lock, that its parent is still there;
- each loky worker watches the job the same way and exits once the job is gone, which
  covers a job and its service both killed at once (loky's own idle timeout would keep
  them, a few hundred MB, for five minutes).

Parents are watched by polling ``getppid()`` rather than with ``PR_SET_PDEATHSIG``: the
kernel sends that signal when the *thread* that forked the child ends, and a threaded
server (Werkzeug, gthread) starts jobs from short-lived request threads, so the job
would die the moment its request was answered. A changed ``getppid()`` means the parent
process is gone, whichever thread started the child.
"""
import fcntl
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from .store import now

LOCK_FILE = "train.lock"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DIED = ("the training process ended without finishing (killed or crashed); "
        "nothing was promoted and the active version is unchanged")
PARENT_GONE = ("not promoted: the service that started this training job has gone, so "
               "the job stops")
#: How often a job and its workers look whether their parent is still there.
PARENT_POLL_SECONDS = 0.2
#: How long an ended job's process group gets to go on SIGTERM before SIGKILL.
GROUP_GRACE_SECONDS = 5


class TrainingBusy(Exception):
    """Another training is running."""


def _acquire(data_dir, attempts=5):
    """An fd holding the training lock; a few quick retries ride out someone's check."""
    fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    for attempt in range(attempts):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if attempt + 1 < attempts:
                time.sleep(0.02)
    os.close(fd)
    raise TrainingBusy("a training job is already running; wait for it to finish "
                       "(GET /train/<job> or `python -m train models`)")


@contextmanager
def training_lock(store):
    """Hold the training lock for a block (the command line's training run)."""
    fd = _acquire(store.data_dir)
    try:
        fail_dead_jobs_locked(store)
        yield
    finally:
        os.close(fd)


def fail_dead_jobs_locked(store):
    """With the lock held: any job still queued or running has died; record that."""
    for job_id in store.unfinished_jobs():
        store.update_job(job_id, state="failed", error=DIED, finished_at=now())


def fail_dead_jobs(store):
    """Mark dead jobs failed if no training holds the lock; a no-op while one does."""
    try:
        fd = _acquire(store.data_dir, attempts=1)
    except TrainingBusy:
        return
    try:
        fail_dead_jobs_locked(store)
    finally:
        os.close(fd)


def job_log_path(store, job_id):
    """Where job ``job_id`` writes its output (training's progress lines)."""
    return store.data_dir / "jobs" / f"{job_id}.log"


def start_job(store, cli_args=(), force=False, requested_by=None):
    """Queue a training job and start its process; returns the job id.

    The child inherits the lock (same open file), so it stays held exactly as long as
    the child lives. Raises TrainingBusy when a job is already running.
    """
    fd = _acquire(store.data_dir)
    try:
        fail_dead_jobs_locked(store)
        job_id = uuid.uuid4().hex[:12]
        store.create_job(job_id, force=force, requested_by=requested_by)
        log_path = job_log_path(store, job_id)
        log_path.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "train", *cli_args, "--data-dir",
                   str(store.data_dir), *(["--force"] if force else []),
                   "job", job_id, "--lock-fd", str(fd), "--parent-pid", str(os.getpid())]
        with open(log_path, "ab") as log:
            # A new session makes the job the leader of a process group that its workers
            # join, so the whole tree can be killed by the group's id (the job's pid).
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, pass_fds=(fd,),
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                       stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        store.update_job(job_id, pid=process.pid)
        threading.Thread(target=_reap, args=(process,), name=f"casus-job-{job_id}",
                         daemon=True).start()
        return job_id
    finally:
        os.close(fd)


def _reap(process):
    """Wait for a job (so it never lingers as a zombie of this worker), then end what is
    left of its process group: workers of a job that was killed would otherwise idle on.

    The group's id stays reserved while any member lives, so this reaches only the job's
    own processes; once none is left it finds nobody (ESRCH).
    """
    process.wait()
    end_group(process.pid)


def end_group(pgid, grace=GROUP_GRACE_SECONDS):
    """SIGTERM process group ``pgid``, give it ``grace`` seconds to go, SIGKILL the rest.

    SIGTERM first because the resource trackers of loky and multiprocessing ignore it:
    they outlive the workers by a moment and remove the /dev/shm folders they recorded,
    which SIGKILL would leave behind. Nothing else in a job's group handles SIGTERM, so
    the job and its workers die at once, whatever they are computing.
    """
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _signal_group(pgid, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid, signum):
    """Send ``signum`` to a process group; False when the group has no member left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:   # a member we may not signal; nothing else we can do
        return True
    return True


def parent_alive(parent_pid):
    """True while ``parent_pid`` is still this process's parent (the children of a dead
    process are handed to init or a subreaper, so ``getppid()`` changes)."""
    return os.getppid() == parent_pid


def die_with_parent(parent_pid, interval=PARENT_POLL_SECONDS):
    """Kill this process, and its process group if it leads one, as soon as ``parent_pid``
    is no longer its parent; checked from a daemon thread every ``interval`` seconds.

    Also the initializer of the job's loky workers (see ``workers_die_with_this_process``).
    """
    def watch():
        while parent_alive(parent_pid):
            time.sleep(interval)
        try:
            print(f"pid {os.getpid()}: parent {parent_pid} has gone; stopping", flush=True)
        except (OSError, ValueError):   # stdout may be a pipe the dead parent was reading
            pass
        _kill_own_tree()

    threading.Thread(target=watch, name="casus-parent-watch", daemon=True).start()


def _kill_own_tree():
    """End this process's group when it leads one (a job in its own session; SIGTERM, as
    in ``end_group``, and this process is in it), else only this process: a process that
    does not lead its group must not kill it, since it is its parent's (a shell, a test
    runner, a job)."""
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def workers_die_with_this_process():
    """Within the block, joblib's process workers (loky) exit soon after this process
    dies, however it dies, instead of idling on for loky's five-minute timeout."""
    from joblib import parallel_config   # training-side only
    with parallel_config(backend="loky", initializer=die_with_parent,
                         initargs=(os.getpid(),)):
        yield


def run_job(store, job_id, work, lock_fd=None, parent_pid=None):
    """The child's side: mark the job running, call ``work(may_promote)`` (which returns
    the gate's decision) and record the outcome. Without an inherited ``lock_fd`` it takes
    the lock. With ``parent_pid`` (the service worker that started it), the job dies with
    that process and ``may_promote()`` is false once it is gone.
    """
    if lock_fd is None:
        lock_fd = _acquire(store.data_dir)
    else:
        os.fstat(lock_fd)   # fails loudly if the lock was not handed over
    may_promote = None
    if parent_pid is not None:
        if not parent_alive(parent_pid):   # gone before we even started
            store.update_job(job_id, state="failed", finished_at=now(), error=PARENT_GONE)
            return 1
        die_with_parent(parent_pid)
        may_promote = partial(parent_alive, parent_pid)
    store.update_job(job_id, state="running", started_at=now(), pid=os.getpid())
    try:
        with workers_die_with_this_process():
            result = work(may_promote)
    except BaseException as exc:
        traceback.print_exc()
        store.update_job(job_id, state="failed", finished_at=now(),
                         error=f"{type(exc).__name__}: {exc}")
        return 1
    state = "succeeded" if result["promoted"] else "rejected"
    store.update_job(job_id, state=state, finished_at=now(), result=result)
    return 0


#: Lines of a job's log that mark its stages (training's "[k/4] ..." steps and each
#: cross-validation fold), and how much of the run each stage starts at: in a retrain
#: of the default model here (5 folds, 10,558 sentences, 54.0 s) the cross-validation
#: took 33.6 s, the final fit 15.1 s, and saving, evaluation and the gate the last 5 s.
_STAGE = re.compile(r"^\[(\d)/4\] (\w+)")
_FOLD = re.compile(r"^\s+fold (\d+)/(\d+)")
_CANDIDATE = re.compile(r"^\s+candidate (\d+)/(\d+)")
STAGE_NAMES = {1: "reading data", 2: "cross-validation", 3: "final fit", 4: "saving"}
STAGE_STARTS = {1: 0.0, 2: 0.01, 3: 0.63, 4: 0.91}
#: How many of a job's last log lines ``GET /train/<job>`` shows.
LOG_LINES = 10


def job_progress(log_path, started_at, finished=False):
    """What a job's log says of its progress: stage, candidate, fold, elapsed seconds,
    a rough estimate of the seconds left (elapsed time scaled by the share of the run
    done, from ``STAGE_STARTS`` and the folds finished), and its last log lines."""
    try:   # a retraining's log is a few dozen lines: read once
        lines = Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    stage, fold, candidate = 0, None, None
    for line in lines:
        if m := _STAGE.match(line):
            stage = int(m.group(1))
        elif m := _CANDIDATE.match(line):
            candidate, fold = (int(m.group(1)), int(m.group(2))), None
        elif m := _FOLD.match(line):
            fold = (int(m.group(1)), int(m.group(2)))
    elapsed = None
    if started_at:
        begun = datetime.fromisoformat(started_at)
        elapsed = round((datetime.now(timezone.utc) - begun).total_seconds(), 1)
    done = STAGE_STARTS.get(stage, 0.0)
    if stage == 2 and fold and candidate:
        per_candidate = (STAGE_STARTS[3] - STAGE_STARTS[2]) / candidate[1]
        done += per_candidate * ((candidate[0] - 1) + fold[0] / fold[1])
    remaining = None
    if not finished and elapsed and done >= 0.05:
        remaining = round(elapsed * (1 - done) / done, 1)
    return {"stage": STAGE_NAMES.get(stage, "starting" if not finished else None),
            "candidate": f"{candidate[0]}/{candidate[1]}" if candidate else None,
            "fold": f"{fold[0]}/{fold[1]}" if fold else None,
            "elapsed_seconds": elapsed, "remaining_seconds": remaining,
            "log": [line for line in lines if line.strip()][-LOG_LINES:]}


def job_status(store, job_id):
    """A job's record (after recording its death if it died), or None."""
    job = store.job(job_id)
    if job and job["state"] in ("queued", "running"):
        fail_dead_jobs(store)
        job = store.job(job_id)
    return job
