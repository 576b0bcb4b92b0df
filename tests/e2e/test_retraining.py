"""Retraining for real: a training process killed with SIGKILL changes nothing and leaves
no process behind, and the next job trains, passes the gate and is served without a
restart."""
import os
import signal
import subprocess
import sys
import time

import pytest
from proctree import alive, process_tree, wait_for_line, wait_until

from service import create_app
from train.model import versions
from train.retraining.store import ExampleStore

TOKEN = {"Authorization": "Bearer t0ken"}
#: A quick training (one candidate, two folds, about 15 s) for the test's jobs.
QUICK = ["--folds", "2", "--candidates", "word-lr"]
#: A training that is killed once its first fold is in: four more folds, the final fit
#: and the evaluation still to go, seconds of work on any machine, against a log polled
#: every 50 ms. The kill is never timed; it waits for the event.
KILLED = ["--folds", "5", "--candidates", "word-lr"]
EXAMPLES = [{"text": "The ambassador said the raids on the camps were collective "
                     "punishment of a whole people.", "labels": ["accusation"]},
            {"text": "Our guns answered only after theirs opened up on the border posts.",
             "labels": ["self_defence", "accusation"]},
            {"text": "Delegations will sit down in Muscat next week, officials confirmed.",
             "labels": ["negotiation"]}]


def wait_for(client, job, states, timeout=180):
    """Poll a job until it reaches one of ``states`` (final ones: they cannot be missed)."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/train/{job}").get_json()
        if body["state"] in states:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.25)


def in_cross_validation(data_dir, job):
    """Wait until the job's log shows its first cross-validation fold done: the job is
    running and its worker processes are up."""
    wait_for_line(data_dir / "jobs" / f"{job}.log", "fold 1/")


@pytest.mark.slow
def test_sigkilled_trainer_leaves_model_and_examples_intact_then_training_works(
        save_tiny, tmp_path):
    save_tiny("v1", active=True)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "DATA_DIR": str(tmp_path / "data"),
                      "ADMIN_TOKEN": "t0ken", "TRAIN_ARGS": KILLED,
                      "MODEL_WATCH_SECONDS": 0})
    client = app.test_client()
    assert client.post("/examples", json={"examples": EXAMPLES}, headers=TOKEN).status_code \
        == 201
    store = ExampleStore(tmp_path / "data")
    before = store.training_examples()

    response = client.post("/train", headers=TOKEN)
    assert response.status_code == 202
    job = response.get_json()["job"]
    assert client.post("/train", headers=TOKEN).status_code == 409
    in_cross_validation(tmp_path / "data", job)
    progress = client.get(f"/train/{job}").get_json()["progress"]
    assert progress["stage"] in ("cross-validation", "final fit", "saving"), progress
    assert progress["elapsed_seconds"] >= 0 and any("fold 1/" in line
                                                    for line in progress["log"])
    record = store.job(job)
    assert record["state"] == "running" and record["started_at"]
    tree = process_tree(record["pid"])
    assert len(tree) >= 3, tree                     # the job and its loky workers at least
    os.kill(record["pid"], signal.SIGKILL)          # the job alone, as the OOM killer would
    wait_until(lambda: not alive(tree), 20,
               lambda: f"the killed job's processes end; still running: {alive(tree)}")
    killed = wait_for(client, job, {"failed"}, timeout=20)
    assert "killed or crashed" in killed["error"]
    assert versions.active_version(save_tiny.root) == "v1"
    assert versions.list_versions(save_tiny.root) == ["v1"]
    assert client.post("/classify", json={"text": "Talks now."}).get_json()["model"][
        "version"] == "v1"
    assert store.integrity() == "ok"
    assert [(e.text, e.labels) for e in store.training_examples()] == \
        [(e.text, e.labels) for e in before]

    app.config["TRAIN_ARGS"] = QUICK
    response = client.post("/train", headers=TOKEN)   # the lock died with the trainer
    assert response.status_code == 202
    done = wait_for(client, response.get_json()["job"], {"succeeded", "rejected", "failed"})
    assert done["state"] == "succeeded", done
    assert done["progress"]["remaining_seconds"] is None and done["progress"]["log"]
    assert done["promoted"] and done["active"]["version"] == "v1"
    assert done["candidate"]["test"]["macro_f1"] > done["active"]["test"]["macro_f1"]
    new = done["candidate"]["version"]
    assert versions.active_version(save_tiny.root) == new
    assert app.extensions["casus_holder"].refresh()
    assert client.get("/health").headers["X-Casus-Model-Version"] == new
    manifest = client.get("/model").get_json()
    assert manifest["data"]["stored_examples"] == 3


@pytest.mark.slow
def test_command_line_add_train_gate_models_activate(save_tiny, tmp_path, write_jsonl):
    root, data = save_tiny.root, tmp_path / "data"
    save_tiny("v1", active=True)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "train", "--root", str(root),
                               "--data-dir", str(data), *args], capture_output=True,
                              text=True, timeout=300)

    added = cli("add", str(write_jsonl(EXAMPLES + [{"text": "", "labels": []}])))
    assert added.returncode == 1
    assert "3 example(s) accepted" in added.stdout and "data.jsonl:4" in added.stdout
    trained = cli(*QUICK)
    assert trained.returncode == 0, trained.stderr
    first = versions.active_version(root)
    assert first != "v1" and "promoted" in trained.stdout
    refused = cli(*QUICK, "--tolerance", "-0.01")        # must beat the active by 0.01
    assert refused.returncode == 3 and "kept as a candidate" in refused.stdout
    assert versions.active_version(root) == first
    forced = cli(*QUICK, "--tolerance", "-0.01", "--force")
    assert forced.returncode == 0 and "promoted by force" in forced.stdout
    listing = cli("models").stdout
    assert "rejected" in listing and "previously active" in listing and "* " in listing
    assert cli("activate", "v1").returncode == 0
    assert versions.active_version(root) == "v1"
    assert cli("activate", "nope").returncode == 1
