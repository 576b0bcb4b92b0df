"""Promotion under load: classify requests sent while the active version changes all
succeed, each names the version that answered it, and every worker switches."""
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from live_server import call, gunicorn
from proctree import wait_until

from train.model import versions

TOKEN = "e2e-admin-token"


def wait_for(condition, what):
    """Poll ``condition`` until it holds; fail after 60 s."""
    wait_until(condition, 60, f"never saw {what}")


def two_versions(tmp_path):
    """A versions directory with ``va`` (the shipped model) active and ``vb`` (the same,
    assigning every label); the server's environment for it."""
    served = versions.active_version()
    root = tmp_path / "models"
    root.mkdir()
    versions.copy_version(served, versions.DEFAULT_ROOT, "va", root)
    versions.copy_version(served, versions.DEFAULT_ROOT, "vb", root, threshold=0.0)  # all labels
    versions.set_active("va", root)
    return served, root, {"CASUS_MODEL_DIR": str(root), "CASUS_DATA_DIR": str(tmp_path / "data"),
                          "CASUS_ADMIN_TOKEN": TOKEN}


def activate(base, version):
    status, body, _ = call(base + f"/models/{version}/activate", b"",
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body


def answering_version(base):
    return call(base + "/classify", {"text": "We call on both sides to talk."})[1]["model"]["version"]


def workers(master_pid):
    return set(Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split())


@pytest.mark.slow
def test_a_worker_restarted_after_a_rollback_never_serves_the_rolled_back_version(tmp_path):
    _, root, env = two_versions(tmp_path)
    versions.set_active("vb", root)                    # the master preloads vb
    with gunicorn(env) as base:
        activate(base, "va")                            # roll back
        wait_for(lambda: all(answering_version(base) == "va" for _ in range(20)),
                 "every worker on va")
        before = workers(base.pid)
        os.kill(int(sorted(before)[0]), signal.SIGKILL)
        wait_for(lambda: len(workers(base.pid) - before) == 1, "the re-forked worker")
        seen = [answering_version(base) for _ in range(300)]
    # without the check before the first request, the new worker answers from vb
    assert set(seen) == {"va"}, f"{seen.count('vb')} of {len(seen)} answers from vb"


@pytest.mark.slow
def test_requests_during_promotion_all_succeed(tmp_path):
    served, root, env = two_versions(tmp_path)
    outcomes, stop = [], threading.Event()

    def client():
        while not stop.is_set():
            try:
                status, body, headers = call(base + "/classify",
                                             {"text": "We call on both sides to talk."})
                outcomes.append((time.monotonic(), status, body["model"]["version"],
                                 headers["X-Casus-Model-Version"],
                                 tuple(body["results"][0]["sentences"][0]["labels"])))
            except Exception as exc:          # a dropped connection counts as a failure
                outcomes.append((time.monotonic(), repr(exc), None, None, None))

    with gunicorn(env) as base:
        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(o[2] == "va" for o in outcomes) >= 200, "answers from va")
        activate(base, "vb")
        activated = time.monotonic()
        deadline = activated + 30
        while time.monotonic() < deadline:     # until 3 s of answers are all from vb
            time.sleep(0.5)
            recent = [o for o in outcomes if o[0] > time.monotonic() - 3]
            if time.monotonic() - activated > 3 and recent and \
                    all(o[2] == "vb" for o in recent):
                break
        stop.set()
        for thread in threads:
            thread.join()
    failed = [o for o in outcomes if o[1] != 200]
    seen = {o[2] for o in outcomes if o[1] == 200}
    last_va = max((o[0] for o in outcomes if o[2] == "va"), default=activated)
    print(f"\nhot swap: {len(outcomes)} requests, {len(failed)} failed, versions seen "
          f"{sorted(seen)}, last answer from va {last_va - activated:.1f}s after "
          "activation")
    assert not failed, failed[:5]
    assert seen == {"va", "vb"}
    assert all(o[2] == o[3] for o in outcomes)        # body and header agree
    # each answer comes wholly from the version it names: vb assigns every label
    labels_by_version = {v: {o[4] for o in outcomes if o[2] == v} for v in seen}
    assert labels_by_version["vb"] == {tuple(versions.read_manifest(served)["labels"])}
    assert len(labels_by_version["va"]) == 1 and labels_by_version["va"] != \
        labels_by_version["vb"]
    assert outcomes[-1][2] == "vb"
    assert last_va - activated < 15
