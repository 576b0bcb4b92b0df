"""Monitoring for real: Debian's Prometheus scrapes a live casus (gunicorn, two workers)
on loopback with the shipped configuration, and a PromQL query over its HTTP API returns
the sentences classified; the shipped alert rules pass `promtool check rules`.

Both need the `prometheus` Debian package (`.ci/run` installs it); without it they are
skipped with a note saying so.
"""
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from live_server import ROOT, call, gunicorn
from proctree import wait_until

from bench.loadgen import free_port

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
DEPLOY = ROOT / "deploy" / "prometheus"
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None,
    reason="Debian's prometheus package is not installed (apt-get install prometheus; "
           ".ci/run installs it)")


@needs_prometheus
def test_the_shipped_alert_rules_and_configuration_check_out():
    for args in (["check", "rules", str(DEPLOY / "alerts.yml")],
                 ["check", "config", str(DEPLOY / "prometheus.yml")]):
        done = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "5 rules found" in subprocess.run(
        [PROMTOOL, "check", "rules", str(DEPLOY / "alerts.yml")], capture_output=True,
        text=True, timeout=60).stdout


def query(base, promql):
    """A PromQL instant query's result list."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.slow
@needs_prometheus
def test_prometheus_scrapes_casus_and_answers_promql(tmp_path):
    with gunicorn() as casus:
        sentences = 0
        for n in range(20):
            status, body, _ = call(casus + "/classify", {"texts": [
                "Their drones hit the hospital again.", f"We call for talks, round {n}."],
                "split": False})
            assert status == 200
            sentences += 2
        config = (DEPLOY / "prometheus.yml").read_text(encoding="utf-8")
        config = config.replace("127.0.0.1:8000", casus.removeprefix("http://")) \
            .replace("scrape_interval: 15s", "scrape_interval: 1s")
        (tmp_path / "prometheus.yml").write_text(config, encoding="utf-8")
        shutil.copy(DEPLOY / "alerts.yml", tmp_path / "alerts.yml")
        port = free_port()
        prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            result = []

            def scraped():   # Prometheus is up and a scrape of casus has landed
                try:
                    result[:] = query(base, "sum(casus_sentences_classified_total)")
                except OSError:
                    result[:] = []   # Prometheus still starting
                return bool(result)
            wait_until(scraped, 60, "a scrape of casus in Prometheus")
            assert float(result[0]["value"][1]) == sentences
            labelled = {r["metric"]["label"]: float(r["value"][1]) for r in query(
                base, "sum by (label) (casus_sentences_labelled_total)")}
            assert sum(labelled.values()) >= sentences
            up = query(base, 'up{job="casus"}')
            assert up and up[0]["value"][1] == "1"
        finally:
            prometheus.terminate()
            prometheus.wait(timeout=20)


@pytest.mark.slow
def test_metrics_on_a_port_of_their_own_add_up_both_workers():
    metrics_port = free_port()
    with gunicorn({"CASUS_METRICS_PORT": str(metrics_port)}) as casus:
        for _ in range(10):
            assert call(casus + "/classify", {"text": "We call for talks.",
                                              "split": False})[0] == 200
        status, body, _ = call(casus + "/metrics")
        assert status == 404 and str(metrics_port) in body["error"]["message"]
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                    timeout=10) as response:
            text = response.read().decode()
        # ten classifications, answered by either of the two workers
        assert "casus_sentences_classified_total 10.0" in text, text[:2000]
