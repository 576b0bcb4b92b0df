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

# Until the service lands, the image checks labelled data: mount files and pass their paths.
ENTRYPOINT ["python3", "-m", "train"]
CMD ["validate"]
