# casus image. BASE defaults to the official slim image; on machines that cannot pull it,
# pass a locally built Debian bookworm base (Python 3.11) with --build-arg BASE=...
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN python3 -m pip install --disable-pip-version-check -r requirements.txt
COPY train/ train/
RUN useradd --create-home --uid 10001 casus && chown -R casus /app
USER casus

# For now the image runs the train CLI (validate by default: mount files and pass their paths);
# the service image (gunicorn, HEALTHCHECK, model built at build time) is the next step.
ENTRYPOINT ["python3", "-m", "train"]
CMD ["validate"]
