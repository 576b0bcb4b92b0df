"""Metrics, label drift, request ids and JSON logs, on an app around the tiny model."""
import json
import logging

import pytest
from tiny_model import LABELS, TEXTS

from service import create_app, drift, requestlog
from train.model.predict import predict
from train.pipeline.compile_serving import compile_model

DRIFTED = "Their artillery shelled the market again."


@pytest.fixture
def monitored(tiny, tmp_path):
    """An app whose model's manifest gives, as its training mix, the mix of labels the
    model itself assigns to the ten tiny sentences; so sending those sentences is
    traffic with the training mix, and sending one accusation over and over is not."""
    thresholds = {label: 0.3 for label in LABELS}
    bare = compile_model(tiny.pipeline, label_ids=LABELS, thresholds=thresholds,
                         manifest={"version": "tiny-1", "labels": LABELS})
    assigned = [r["labels"] for r in predict(bare, TEXTS)]
    data = {"train_sentences": len(TEXTS),
            "train_label_counts": {k: sum(k in a for a in assigned) for k in LABELS},
            "train_none": sum(not a for a in assigned)}
    model = compile_model(tiny.pipeline, label_ids=LABELS, thresholds=thresholds,
                          manifest={"version": "tiny-1", "created": "2026-12-03",
                                    "labels": LABELS, "data": data})
    return create_app({"TESTING": True, "DRIFT_FILE": str(tmp_path / "drift.bin"),
                       "DRIFT_WINDOW": 600, "MODEL_DIR": str(tmp_path / "models"),
                       "DATA_DIR": str(tmp_path / "data"), "ADMIN_TOKEN": "t0ken"},
                      model=model)


def send(client, texts, times):
    for _ in range(times):
        assert client.post("/classify", json={"texts": texts, "split": False}).status_code \
            == 200


def test_the_drift_verdict_changes_with_the_label_mix_and_warns_once(monitored, caplog,
                                                                     monkeypatch):
    monkeypatch.setattr(drift, "CHECK_EVERY", 100)
    client = monitored.test_client()
    assert client.get("/drift").get_json()["verdict"] == "insufficient data"
    send(client, TEXTS, 60)                          # 600 sentences, the training mix
    report = client.get("/drift").get_json()
    assert report["window"]["sentences"] == 600 and report["verdict"] == "stable", report
    assert all(row["psi"] < 0.01 for row in report["labels"].values())
    with caplog.at_level(logging.WARNING, logger="casus.drift"):
        send(client, [DRIFTED] * 10, 60)             # the window is all accusations now
    report = client.get("/drift").get_json()
    assert report["verdict"].startswith("drift: ") and "accusation" in report["verdict"]
    assert report["labels"]["accusation"]["observed"] == 1.0
    assert report["labels"]["accusation"]["psi"] > report["threshold"]
    warned = [r for r in caplog.records if "'accusation'" in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]


def test_psi_is_zero_for_the_same_share_and_grows_with_the_gap():
    assert drift.psi(0.2, 0.2) == pytest.approx(0)
    assert 0 < drift.psi(0.25, 0.2) < drift.psi(0.4, 0.2) < drift.psi(0.9, 0.2)
    assert drift.psi(0.0, 0.3) < float("inf")


def metric(text, name):
    """The value of one sample line ``name`` in an exposition text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def test_metrics_count_requests_sentences_labels_and_errors(monitored):
    client = monitored.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    send(client, TEXTS[:4], 2)
    client.post("/classify", data="{oops", content_type="application/json")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.get_data(as_text=True)

    def grew(name):
        try:
            start = metric(before, name)
        except AssertionError:
            start = 0.0
        return metric(text, name) - start
    assert grew("casus_sentences_classified_total") == 8
    assert grew('casus_sentences_labelled_total{label="accusation"}') == 4
    assert grew('casus_http_requests_total{method="POST",route="/classify",status="200"}') \
        == 2
    assert grew('casus_classification_errors_total{code="invalid_json"}') == 1
    assert grew('casus_texts_per_request_count') == 2
    assert 'casus_model_info{created="2026-12-03",version="tiny-1"} 1.0' in text
    assert 'casus_drift_observed_share{label="accusation"}' in text


@pytest.mark.parametrize("setting, headers, status", [
    ("token", {}, 401), ("token", {"Authorization": "Bearer t0ken"}, 200), ("off", {}, 404)])
def test_metrics_can_require_the_token_or_be_off(monitored, setting, headers, status):
    monitored.config["METRICS"] = setting
    response = monitored.test_client().get("/metrics", headers=headers)
    assert response.status_code == status


@pytest.mark.parametrize("given, echoed", [("abc-123", True), ("trace:9f.1_x", True),
                                           ("has space", False), ("x" * 129, False),
                                           (None, False)])
def test_every_response_has_a_request_id(monitored, given, echoed):
    headers = {"X-Request-Id": given} if given else {}
    for path in ("/health", "/nope"):
        value = monitored.test_client().get(path, headers=headers).headers["X-Request-Id"]
        assert (value == given) == echoed and 1 <= len(value) <= 128


def test_json_access_lines_name_the_request_but_not_the_text(monitored):
    monitored.config["LOG_FORMAT"] = "json"
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(requestlog.JsonFormatter().format(record))
    access = logging.getLogger("casus.access")
    access.addHandler(handler)
    try:
        monitored.test_client().post("/classify", json={"text": "We call for talks."},
                                     headers={"X-Request-Id": "req-7"})
    finally:
        access.removeHandler(handler)
    (entry,) = [json.loads(line) for line in lines]
    assert entry["request_id"] == "req-7" and entry["route"] == "/classify"
    assert entry["status"] == 200 and entry["sentences"] == 1
    assert entry["model_version"] == "tiny-1" and entry["duration_ms"] >= 0
    assert "We call for talks" not in json.dumps(entry)
