"""Fixtures for the code suite: apps around the tiny model (see tests/conftest.py)."""
import pytest


@pytest.fixture
def app(tiny):
    """A fresh service app around the tiny model, with small limits to test them."""
    from service import create_app
    from train.pipeline.compile_serving import compile_model
    model = compile_model(tiny.pipeline, label_ids=tiny.labels,
                          thresholds={label: 0.3 for label in tiny.labels},
                          manifest={"version": "tiny-1", "created": "2026-11-28T00:00:00+00:00",
                                    "labels": tiny.labels,
                                    "label_definitions": {l: f"{l} def" for l in tiny.labels}})
    return create_app({"TESTING": True, "MAX_TEXTS": 3, "MAX_TEXT_CHARS": 500,
                       "MAX_SENTENCES": 40, "MAX_CONTENT_LENGTH": 4096}, model=model)


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def admin_app(save_tiny, tmp_path):
    """An app serving a saved tiny model from disk, with write access and a store."""
    from service import create_app
    save_tiny("v1", active=True)
    return create_app({"TESTING": True, "MODEL_DIR": str(save_tiny.root),
                       "DATA_DIR": str(tmp_path / "data"), "ADMIN_TOKEN": "s3cret-token",
                       "MODEL_WATCH_SECONDS": 0})


@pytest.fixture
def admin_client(admin_app):
    """A test client for ``admin_app``; ``auth`` holds the right Authorization header."""
    client = admin_app.test_client()
    client.auth = {"Authorization": "Bearer s3cret-token"}
    return client
