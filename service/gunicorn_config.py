"""How casus is served: gunicorn's settings, the one place that `make serve`, the
Dockerfile, the benchmarks and the end-to-end tests take them from
(``gunicorn -c python:service.gunicorn_config "service:create_app()"``).

``HOST``, ``PORT`` and ``WORKERS`` come from the environment (defaults 127.0.0.1, 8000
and 2); any option given on gunicorn's command line wins over this file.
"""
import os

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
accesslog = "-"


def command(bind, workers=2, gunicorn="gunicorn"):
    """The command line serving the app with these settings on ``bind`` (``host:port``),
    as the benchmarks and end-to-end tests start it."""
    return [gunicorn, "--config", "python:service.gunicorn_config", "--workers", str(workers),
            "--bind", bind, "service:create_app()"]
