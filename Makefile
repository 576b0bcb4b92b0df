# casus: `make test` and `make serve` work on a machine with only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-fast validate venv model train evaluate bench bench-classify bench-servers bench-segmenters bench-attacks load fuzz serve container-check clean

venv: $(STAMP)

# Reinstall whenever a requirements file or the package description changes; the
# project itself goes in editable (no copy), which gives .venv/bin/casus.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

ACTIVE := model_artifacts/ACTIVE

# The default model is built from the corpus, not committed: `make model` builds it once
# (about a minute on two cores), and again when the text normalisation changes (a model
# trained with another one is refused); `make train` always builds a new version.
$(ACTIVE): train/model/normalise.py | $(STAMP)
	$(BIN)/python -m train

model: $(ACTIVE)

train: $(STAMP)
	$(BIN)/python -m train

evaluate: $(ACTIVE)
	$(BIN)/python -m train evaluate

test: $(STAMP) $(ACTIVE)
	@test -x /usr/bin/chromium || echo "NOTE: /usr/bin/chromium is missing, so the browser test" \
		"will be SKIPPED (apt-get install chromium; .ci/run does it)"
	$(BIN)/python -m pytest

# Quick local loop: everything but the tests marked slow.
test-fast: $(STAMP) $(ACTIVE)
	$(BIN)/python -m pytest -m "not slow"

HOST    ?= 127.0.0.1
PORT    ?= 8000
WORKERS ?= 2

# Production server, with the settings of service/gunicorn_config.py (gevent workers, so
# slow clients cannot hold a worker; the model loaded once before the workers fork).
serve: $(ACTIVE)
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) \
		$(BIN)/gunicorn --config python:service.gunicorn_config "service:create_app()"

# Build the image with podman from a local bookworm base and classify one document in it.
container-check:
	bash .ci/container-check

validate: $(STAMP)
	$(BIN)/python -m train validate

clean:
	rm -rf $(VENV) .pytest_cache

# Speed and memory, in-process and over HTTP against the real server, and training time
# at 1x/4x/16x the corpus; prints one JSON summary and writes bench/results.json
# (about 8 minutes; BENCH_ARGS=--no-training skips the training part).
bench: $(ACTIVE)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The serving setups side by side under 60 slow clients, then 16 normal ones (candidates
# other than gunicorn's own workers are measured when installed: pip install waitress granian).
# casus classify on 1,000,000 generated sentences: one worker, two, and a Dask
# LocalCluster side by side (rates, ratios, peak memory of the process tree, identical
# outputs); add BENCH_ARGS=--sizes-mb=10,1000 for peak memory by input size.
bench-classify: $(ACTIVE)
	$(BIN)/python bench/classify_files.py $(BENCH_ARGS)

bench-servers: $(ACTIVE)
	$(BIN)/python bench/servers.py

# The sentence splitters side by side: tricky cases, prose and adversarial text, and the
# cost next to prediction (others measured when installed: pip install pysbd nupunkt ...).
bench-segmenters: $(ACTIVE)
	$(BIN)/python bench/segmenters.py --model --http 5

# The README's red-team list, measured: each attack against the server as make serve
# runs it, with how normal requests fared meanwhile (about 2 minutes).
bench-attacks: $(ACTIVE)
	$(BIN)/python bench/attacks.py

# 64 concurrent clients against the real server for 60 s while the active version
# switches three times; fails on any error.
load: $(ACTIVE)
	$(BIN)/python bench/load.py 60

# Fuzzing: schemathesis from /openapi.json (1,000+ generated cases) and the hypothesis
# property tests, long and random (make test runs a short, repeatable sample of both).
fuzz: $(STAMP)
	CASUS_FUZZ_RANDOM=1 CASUS_FUZZ_EXAMPLES=150 CASUS_FUZZ_MIN_CASES=1000 \
		$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/fuzz
