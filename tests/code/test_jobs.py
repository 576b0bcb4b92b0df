"""Training jobs and promotion: a job whose service has gone never promotes."""
import fcntl
import json
import os

import pytest

from train.model import versions
from train.retraining import jobs, retrain
from train.retraining.gate import GATE_FILE
from train.retraining.jobs import PARENT_GONE, parent_alive, run_job
from train.retraining.store import ExampleStore


@pytest.fixture
def fake_training(monkeypatch, save_tiny):
    """``retrain`` with its training replaced by saving the tiny model as version v2."""
    save_tiny("v1", active=True)

    def train_model(root, **_):
        save_tiny("v2")
        return versions.read_manifest("v2", root)
    monkeypatch.setattr(retrain, "train_model", train_model)
    return save_tiny.root


def test_retraining_promotes_when_allowed(fake_training):
    result = retrain.retrain(root=fake_training, may_promote=lambda: True)
    assert result["promoted"] and versions.active_version(fake_training) == "v2"


def test_retraining_does_not_promote_once_the_service_has_gone(fake_training):
    asked = []
    result = retrain.retrain(root=fake_training, may_promote=lambda: asked.append(1))
    assert asked == [1]                      # asked at the moment of promotion
    assert not result["promoted"] and result["reason"] == PARENT_GONE
    assert versions.active_version(fake_training) == "v1"
    assert versions.activation_history(fake_training) == ["v1"]
    gate = json.loads((fake_training / "v2" / GATE_FILE).read_text())
    assert gate["promoted"] is False and gate["reason"] == PARENT_GONE


def test_the_promotion_check_runs_under_the_activation_lock(save_tiny):
    save_tiny("v1", active=True)
    save_tiny("v2")
    root = save_tiny.root
    held = []

    def confirm():
        # an activation started now would have to wait for this one
        probe = os.open(root / ".activate.lock", os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(probe)
        return False
    assert versions.set_active("v2", root, confirm=confirm) is False
    assert held == [True] and versions.active_version(root) == "v1"
    assert versions.set_active("v2", root, confirm=lambda: True) is True
    assert versions.active_version(root) == "v2"


def test_parent_alive_follows_the_real_parent():
    assert parent_alive(os.getppid())
    assert not parent_alive(os.getpid())


def test_a_job_whose_service_has_gone_before_it_starts_does_not_train(tmp_path):
    store = ExampleStore(tmp_path)
    store.create_job("job1")

    def work(may_promote):
        raise AssertionError("must not train")
    assert run_job(store, "job1", work, parent_pid=os.getpid()) == 1   # not our parent
    job = store.job("job1")
    assert job["state"] == "failed" and job["error"] == PARENT_GONE


def test_a_job_passes_its_parent_check_to_training(tmp_path, monkeypatch):
    watched = []
    monkeypatch.setattr(jobs, "die_with_parent", watched.append)   # no watcher in pytest
    store = ExampleStore(tmp_path)
    store.create_job("job2")
    seen = []

    def work(may_promote):
        seen.append(may_promote())
        return {"promoted": True}
    assert run_job(store, "job2", work, parent_pid=os.getppid()) == 0
    assert watched == [os.getppid()] and seen == [True]
    assert store.job("job2")["state"] == "succeeded"


def test_progress_reads_stage_fold_and_last_lines_from_the_jobs_log(tmp_path):
    from datetime import datetime, timedelta, timezone

    from train.retraining.jobs import LOG_LINES, job_progress
    log = tmp_path / "job.log"
    started = (datetime.now(timezone.utc) - timedelta(seconds=30)).isoformat()
    assert job_progress(log, None)["stage"] == "starting"   # no log yet
    log.write_text("[1/4] data: 10 training sentences\n[2/4] comparing 1 candidates\n"
                   "  candidate 1/1: svm\n    fold 1/5: 8 train / 2 held out (9.0s)\n"
                   "    fold 2/5: 8 train / 2 held out (9.5s)\n", encoding="utf-8")
    progress = job_progress(log, started)
    assert (progress["stage"], progress["candidate"], progress["fold"]) == \
        ("cross-validation", "1/1", "2/5")
    assert 29 <= progress["elapsed_seconds"] < 60
    assert progress["remaining_seconds"] > 0
    assert progress["log"][-1].strip().startswith("fold 2/5")
    log.write_text("".join(f"line {n}\n" for n in range(50)) + "[3/4] fitting\n",
                   encoding="utf-8")
    progress = job_progress(log, started)
    assert progress["stage"] == "final fit" and progress["fold"] is None
    assert len(progress["log"]) == LOG_LINES
    assert job_progress(log, started, finished=True)["remaining_seconds"] is None
