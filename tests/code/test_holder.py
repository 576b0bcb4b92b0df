"""Hot swap: a newly active version replaces the served one whole; bad versions never do."""
import json
import logging
import time

from service import create_app
from service.holder import ModelHolder
from train.model import versions


def tamper(version_dir):
    path = version_dir / versions.MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_newly_active_version_is_swapped_in_and_held_requests_keep_theirs(save_tiny):
    save_tiny("v1", active=True)
    holder = ModelHolder(save_tiny.root)
    holder.load_initial()
    in_flight = holder.model
    save_tiny("v2", active=True)
    assert holder.refresh() is True
    assert holder.model.version == "v2" and in_flight.version == "v1"
    assert holder.refresh() is False        # nothing changed since


def test_a_damaged_new_version_is_refused_and_the_old_one_keeps_serving(save_tiny):
    save_tiny("v1", active=True)
    holder = ModelHolder(save_tiny.root)
    holder.load_initial()
    tamper(save_tiny("v2"))
    versions.set_active("v2", save_tiny.root)
    assert holder.refresh() is False
    assert holder.model.version == "v1" and "SHA-256" in holder.error


def test_start_up_falls_back_to_the_last_good_version(save_tiny, caplog):
    save_tiny("v1", active=True)
    save_tiny("v2", active=True)
    tamper(save_tiny("v3", active=True))
    (save_tiny.root / ".tmp-v4-abc").mkdir()          # a crash while saving v4
    with caplog.at_level(logging.WARNING, logger="casus.model"):
        holder = ModelHolder(save_tiny.root)
        holder.load_initial()
    assert holder.model.version == "v2"
    assert "v3" in holder.error
    assert ".tmp-v4-abc" in caplog.text and "half-written" in caplog.text


def test_truncated_active_file_at_start_up_serves_the_previous_version(save_tiny):
    save_tiny("v1", active=True)
    path = save_tiny("v2", active=True) / versions.MODEL_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0})
    client = app.test_client()
    ready = client.get("/ready").get_json()
    assert ready["model"] == "v1" and "v2" in ready["problem"]
    response = client.post("/classify", json={"text": "We call for talks."})
    assert response.status_code == 200 and response.get_json()["model"]["version"] == "v1"


def test_the_app_follows_the_active_pointer_on_its_own(save_tiny):
    save_tiny("v1", active=True)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0.05})
    client = app.test_client()
    assert client.get("/health").headers["X-Casus-Model-Version"] == "v1"   # starts watching
    save_tiny("v2", active=True)
    deadline = time.monotonic() + 10
    while client.get("/health").headers["X-Casus-Model-Version"] != "v2":
        assert time.monotonic() < deadline, "the worker never switched to v2"
        time.sleep(0.05)


def test_no_model_at_all_is_not_ready_until_one_is_built(save_tiny):
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0})
    client = app.test_client()
    assert client.get("/ready").status_code == 503
    for answer in (client.post("/classify", json={"text": "Talks."}), client.get("/model"),
                   client.get("/labels")):
        assert answer.status_code == 503
        assert str(save_tiny.root) not in answer.get_json()["error"]["message"]
    save_tiny("v1", active=True)
    app.extensions["casus_holder"].refresh()
    assert client.get("/ready").status_code == 200


def test_an_unreadable_pointer_is_read_again_at_the_next_look(save_tiny, monkeypatch):
    save_tiny("v1", active=True)
    holder = ModelHolder(save_tiny.root)
    holder.load_initial()
    save_tiny("v2", active=True)
    real = versions.active_version

    def unreadable(root):
        raise PermissionError(13, "Permission denied", str(root / versions.ACTIVE_FILE))

    monkeypatch.setattr(versions, "active_version", unreadable)
    assert holder.refresh() is False and "cannot be read" in holder.error
    monkeypatch.setattr(versions, "active_version", real)
    assert holder.refresh() is True and holder.model.version == "v2"


def test_a_new_worker_serves_the_active_version_from_its_first_request(save_tiny):
    # what a worker forked from a master that preloaded v2 before a rollback to v1 holds
    save_tiny("v1", active=True)
    save_tiny("v2", active=True)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 3600})
    versions.set_active("v1", save_tiny.root)
    response = app.test_client().post("/classify", json={"text": "We call for talks."})
    assert response.get_json()["model"]["version"] == "v1"


def test_ready_names_no_server_path(save_tiny):
    save_tiny("v1", active=True)
    tamper(save_tiny("v2"))
    versions.set_active("v2", save_tiny.root)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0})
    ready = app.test_client().get("/ready").get_json()
    assert "v2" in ready["problem"] and str(save_tiny.root) not in ready["problem"]
    assert "/" not in ready["problem"].replace("SHA-256", "")


def test_a_version_that_failed_to_load_is_tried_again_with_growing_pauses(save_tiny):
    # a worker forked after a rollback to v1 whose files were damaged at that moment
    # kept serving v2 until ACTIVE changed again
    save_tiny("v1", active=True)
    save_tiny("v2", active=True)
    now = [0.0]
    holder = ModelHolder(save_tiny.root, clock=lambda: now[0])
    holder.load_initial()
    model_file = save_tiny.root / "v1" / versions.MODEL_FILE
    good = model_file.read_bytes()
    tamper(save_tiny.root / "v1")
    versions.set_active("v1", save_tiny.root)
    assert holder.refresh() is False and holder.model.version == "v2" and holder.error
    model_file.write_bytes(good)              # repaired; ACTIVE itself does not change
    assert holder.refresh() is False          # not yet: the first pause is 1 s
    now[0] = 1.0
    tamper(save_tiny.root / "v1")
    assert holder.refresh() is False          # still damaged: the next pause is 2 s
    model_file.write_bytes(good)
    now[0] = 2.5
    assert holder.refresh() is False
    now[0] = 3.0
    assert holder.refresh() is True and holder.model.version == "v1" and holder.error is None


def test_an_active_pointer_that_is_a_symlink_is_refused(save_tiny, tmp_path):
    save_tiny("v1", active=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("v1\n")   # even content naming a real version
    pointer = save_tiny.root / versions.ACTIVE_FILE
    pointer.unlink()
    pointer.symlink_to(outside)
    app = create_app({"MODEL_DIR": str(save_tiny.root), "MODEL_WATCH_SECONDS": 0})
    client = app.test_client()
    ready = client.get("/ready")   # served from history, with the problem named
    assert ready.get_json()["model"] == "v1" and "symlink" in ready.get_json()["problem"]
    listing = client.get("/models").get_json()
    assert listing["active"] is None and "symlink" in listing["active_error"]
    assert str(tmp_path) not in json.dumps(listing) + json.dumps(ready.get_json())


def test_an_oversized_active_pointer_is_refused_unread(save_tiny):
    save_tiny("v1", active=True)
    (save_tiny.root / versions.ACTIVE_FILE).write_bytes(b"v1" + b" " * (1 << 20))
    try:
        versions.active_version(save_tiny.root)
    except versions.ModelLoadError as exc:
        assert "longer than any version name" in str(exc)
    else:
        raise AssertionError("an oversized ACTIVE was accepted")
