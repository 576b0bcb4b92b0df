"""The model suite runs against the active model version (``make test`` builds it first)."""
import pytest

from train.model.versions import ModelLoadError, load_model


@pytest.fixture(scope="session")
def model():
    """The active model, loaded once through the one safe loader."""
    try:
        return load_model()
    except ModelLoadError as exc:
        pytest.fail(f"{exc} (run `make model`)")
