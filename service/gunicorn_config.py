"""How casus is served: gunicorn's settings, the one place that `make serve`, the
Dockerfile, the benchmarks and the end-to-end tests take them from
(``gunicorn -c python:service.gunicorn_config "service:create_app()"``).

``HOST``, ``PORT`` and ``WORKERS`` come from the environment (defaults 127.0.0.1, 8000
and 2); any option given on gunicorn's command line wins over this file.
"""
import os
import shutil
import sys
import tempfile

# prometheus-client's multiprocess mode (service/metrics.py): each worker writes its
# counts to files here and a scrape adds them up. Set before anything imports
# prometheus-client (it picks its storage when imported), fresh for each server start
# so counts from an earlier run never mix in, and removed when the master stops.
# Only when gunicorn itself reads this file: tests and benchmarks import it for
# ``command`` and must not switch their own process to multiprocess mode.
_OWN_METRICS_DIR = None
if "gunicorn" in sys.argv[0] and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _OWN_METRICS_DIR = tempfile.mkdtemp(prefix="casus-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _OWN_METRICS_DIR

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", 2))
# Slow or idle clients wait on a greenlet each, never holding a worker (see service/worker.py).
worker_class = "service.worker.JsonErrorWorker"
# Connections each worker holds at once; a greenlet and a descriptor each (~13 KB).
worker_connections = 4000
# Load the model once before forking, so the workers share its memory.
preload_app = True
# Each instance of a user would share, and remove, the one control socket in $HOME;
# casus has no use for it.
control_socket_disable = True
# With CASUS_LOG_FORMAT=json the app writes one JSON access line per request (with its
# request id; service/requestlog.py) and gunicorn's own lines are JSON too.
_JSON_LOGS = os.environ.get("CASUS_LOG_FORMAT", "").lower() == "json"
accesslog = None if _JSON_LOGS else "-"
if _JSON_LOGS:
    logconfig_dict = {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.requestlog.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO",
                                       "propagate": False}},
        "root": {"handlers": [], "level": "WARNING"}}


def when_ready(server):
    """Serve the metrics on ``CASUS_METRICS_PORT``, once, from the master, when set."""
    port = os.environ.get("CASUS_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        from service.metrics import registry_for_scrape
        start_http_server(int(port), addr=os.environ.get("HOST", "127.0.0.1"),
                          registry=registry_for_scrape())


def child_exit(server, worker):
    """A worker has gone: its live gauges leave the sum (counters are kept)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this server made."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)


def command(bind, workers=2, gunicorn="gunicorn"):
    """The command line serving the app with these settings on ``bind`` (``host:port``),
    as the benchmarks and end-to-end tests start it."""
    return [gunicorn, "--config", "python:service.gunicorn_config", "--workers", str(workers),
            "--bind", bind, "service:create_app()"]
