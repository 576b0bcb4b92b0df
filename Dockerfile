# casus service image. BASE defaults to the official slim image; where it cannot be pulled,
# pass a local Debian bookworm base (Python 3.11) with
# --build-arg BASE=localhost/casus-base:bookworm, which `make container-check` builds.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt .
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --disable-pip-version-check -r requirements.txt
COPY train/ train/
COPY service/ service/
# The default model is built into the image, from the corpus, as `make model` does.
RUN python -m train
RUN useradd --create-home --uid 10001 casus && chown -R casus /app
USER casus

# Same server and settings as `make serve` (service/gunicorn_config.py reads HOST, PORT
# and WORKERS); the settings are the README's.
ENV HOST=0.0.0.0 PORT=8000 WORKERS=2
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['PORT'], timeout=4)"
CMD ["gunicorn", "--config", "python:service.gunicorn_config", "service:create_app()"]
