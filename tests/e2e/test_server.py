"""End to end: the real gunicorn server, as `make serve` starts it, answering over HTTP."""
import pytest
from live_server import call as live_call
from live_server import gunicorn


@pytest.fixture(scope="module")
def server():
    """The real server on the shipped default model."""
    with gunicorn() as base:
        yield base


def call(*args, **kwargs):
    """Status and body only."""
    return live_call(*args, **kwargs)[:2]


@pytest.mark.slow
def test_real_server_classifies_a_document(server):
    text = ("The envoy urged both sides to return to talks. \"They shelled our villages. "
            "We will respond,\" the minister said.")
    status, body = call(server + "/classify", {"text": text, "explain": True})
    assert status == 200
    sentences = body["results"][0]["sentences"]
    assert [text[s["start"]:s["end"]] for s in sentences] == [s["text"] for s in sentences]
    assert len(sentences) == 3           # a sentence inside quotation marks is its own
    assert "negotiation" in sentences[0]["labels"]
    assert "accusation" in sentences[1]["labels"]
    assert "self_defence" in sentences[2]["labels"]
    assert body["model"]["version"] == call(server + "/ready")[1]["model"]


@pytest.mark.slow
def test_real_server_errors_are_json(server):
    assert call(server + "/classify", b"{", "application/json")[0] == 400
    status, body = call(server + "/classify", b"x" * ((1 << 20) + 100), "application/json")
    assert status == 413 and body["error"]["code"] == "request_entity_too_large"
    assert call(server + "/classify", b"hello", "text/plain")[0] == 415
