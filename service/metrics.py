"""Prometheus metrics: what every worker counts, GET /metrics, and GET /drift.

Counters and histograms are made once per process, on first use (``instruments``). Under gunicorn they are kept in prometheus-client's multiprocess
mode: ``service.gunicorn_config`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
directory before anything imports prometheus-client, every worker writes its values to
files there, and a scrape adds them up, whichever worker answers it. What is not a count
of requests (the served version and its age, training jobs, stored examples, label
drift) is read when scraped, by ``StateCollector``.

Settings: ``CASUS_METRICS`` is ``open`` (default: on the service's port, as is usual),
``token`` (the admin bearer token is required) or ``off``; ``CASUS_METRICS_PORT`` serves
them on a port of their own instead (started once, by gunicorn's master).
"""
import os
import tempfile
import time

from flask import Blueprint, Response, current_app, g, jsonify, request

from train.model import versions
from train.model.labelset import NONE

from .errors import ApiError

monitoring_bp = Blueprint("monitoring", __name__)


class _Instruments:
    """The counters and histograms, made on first use: prometheus-client picks where
    values live (this process, or multiprocess files) when it is first imported, and
    gunicorn imports this package before its settings file has set that up."""

    def __init__(self):
        from prometheus_client import Counter, Histogram
        self.requests = Counter("casus_http_requests_total", "HTTP requests answered, by "
                                "route template, method and status",
                                ["route", "method", "status"])
        self.latency = Histogram("casus_http_request_duration_seconds", "Time to answer a "
                                 "request, by route template", ["route"],
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5, 1, 2.5, 5, 10))
        self.sentences = Counter("casus_sentences_classified_total", "Sentences classified")
        self.labelled = Counter("casus_sentences_labelled_total", "Sentences classified, per "
                                "assigned label ('none' for no label; a sentence with two "
                                "labels counts twice)", ["label"])
        self.texts = Histogram("casus_texts_per_request", "Texts in one POST /classify",
                               buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000))
        self.errors = Counter("casus_classification_errors_total", "POST /classify "
                              "requests refused or failed, by error code", ["code"])


_INSTRUMENTS = None


def instruments():
    """The process's counters and histograms (made once)."""
    global _INSTRUMENTS
    if _INSTRUMENTS is None:
        _INSTRUMENTS = _Instruments()
    return _INSTRUMENTS


def multiprocess_dir():
    """prometheus-client's multiprocess directory, when the server set one up."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry_for_scrape(app=None):
    """The registry a scrape reads: every worker's files in multiprocess mode (or this
    process's metrics), plus the state read at scrape time."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
    instruments()
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    if app is not None:
        registry = _WithState(registry, StateCollector(app))
    return registry


class _WithState:
    """A registry view that adds one collector without registering it for good (so
    each app's state is read, and test apps do not pile up)."""

    def __init__(self, registry, extra):
        self.registry, self.extra = registry, extra

    def collect(self):
        yield from self.registry.collect()
        yield from self.extra.collect()


class StateCollector:
    """Gauges read when scraped: the served version (an info metric) and the seconds
    since it became active, training jobs by outcome, stored examples, label drift."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        config = self.app.config
        holder = self.app.extensions["casus_holder"]
        model = holder.model
        info = GaugeMetricFamily("casus_model_info", "The model version this worker serves",
                                 labels=["version", "created"])
        loaded = GaugeMetricFamily("casus_model_loaded", "1 when a model is loaded, else 0")
        loaded.add_metric([], 1 if model else 0)
        yield loaded
        if model is not None:
            info.add_metric([model.version, str(model.manifest.get("created", ""))], 1)
            yield info
            try:
                activated = versions.activated_at(model.version, config["MODEL_DIR"])
            except OSError:   # an unreadable history costs the gauge, never the scrape
                activated = None
            if activated is not None:
                age = GaugeMetricFamily("casus_model_active_seconds",
                                        "Seconds since the served version became active")
                age.add_metric([], max(0.0, time.time() - activated))
                yield age
        yield from _store_metrics(self.app)
        drift = self.app.extensions.get("casus_drift")
        if drift is not None and model is not None:
            yield from drift.metric_families(model)


def _store_metrics(app):
    """Training jobs by outcome and stored examples by kind (when a store exists)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    from .state import get_store, store_exists
    if not store_exists():   # reading metrics never creates the store
        return
    try:
        store = get_store()
        jobs = store.job_counts()
        counts = store.counts()
    except Exception:   # a damaged or locked store costs these gauges, never the scrape
        return
    family = CounterMetricFamily("casus_training_jobs", "Training jobs ended, by outcome "
                                 "(succeeded: promoted; rejected: kept as a candidate by the "
                                 "gate; failed: crashed or killed)", labels=["outcome"])
    for outcome in ("succeeded", "rejected", "failed"):
        family.add_metric([outcome], jobs.get(outcome, 0))
    yield family
    unfinished = GaugeMetricFamily("casus_training_jobs_unfinished", "Training jobs queued "
                                   "or running")
    unfinished.add_metric([], jobs.get("queued", 0) + jobs.get("running", 0))
    yield unfinished
    examples = GaugeMetricFamily("casus_stored_examples", "Examples and corrections in "
                                 "the store", labels=["kind"])
    for kind, n in counts.items():
        examples.add_metric([kind], n)
    yield examples


# -- what each request records --------------------------------------------------------
def start_timer():
    """Before a request: note when it started."""
    g.casus_started = time.perf_counter()


def record_request(response):
    """After a request: count it by route template, method and status, and time it."""
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    counted = instruments()
    counted.requests.labels(rule, request.method, str(response.status_code)).inc()
    if rule == "/classify" and response.status_code >= 400:
        counted.errors.labels(g.get("casus_error_code") or str(response.status_code)).inc()
    started = g.get("casus_started")
    if started is not None:
        counted.latency.labels(rule).observe(time.perf_counter() - started)
    return response


def record_classification(results, model):
    """Count a /classify answer's texts, sentences and labels."""
    counted = instruments()
    counted.texts.observe(len(results))
    total = 0
    per_label = dict.fromkeys([*model.label_ids, NONE], 0)
    for result in results:
        for sentence in result["sentences"]:
            total += 1
            for label in sentence["labels"] or [NONE]:
                per_label[label] += 1
    counted.sentences.inc(total)
    for label, n in per_label.items():
        if n:
            counted.labelled.labels(label).inc(n)


@monitoring_bp.get("/metrics")
def metrics():
    """Prometheus metrics in the text exposition format."""
    mode = current_app.config["METRICS"]
    if mode == "off" or current_app.config.get("METRICS_PORT"):
        raise ApiError(404, "not_found", "metrics are not served here" + (
            f"; they are on port {current_app.config['METRICS_PORT']}"
            if current_app.config.get("METRICS_PORT") else " (CASUS_METRICS=off)"))
    if mode == "token":
        from .admin import check_token
        check_token()
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    body = generate_latest(registry_for_scrape(current_app._get_current_object()))
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@monitoring_bp.get("/drift")
def drift():
    """The label mix of recent traffic against the served model's training data."""
    from .state import current_model
    return jsonify(current_app.extensions["casus_drift"].report(current_model()))


def default_drift_file():
    """The drift window's file: in the server's metrics directory (shared by its
    workers, fresh for each server), or a new temporary one for a lone process."""
    directory = multiprocess_dir() or tempfile.mkdtemp(prefix="casus-drift-")
    return os.path.join(directory, "drift-window.bin")
