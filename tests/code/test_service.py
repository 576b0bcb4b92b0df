"""The HTTP contract of the service: /classify, the info endpoints, and JSON errors."""
import json

import pytest

from service import create_app

TEXT = ("Their artillery shelled the market again. We call for talks and a ceasefire.\n"
        "The weather was mild on Friday.")


def test_classify_one_text_returns_every_sentence_with_offsets(client):
    response = client.post("/classify", json={"text": TEXT})
    assert response.status_code == 200
    body = response.get_json()
    assert body["model"]["version"] == "tiny-1"
    assert len(body["results"]) == 1
    result = body["results"][0]
    sentences = result["sentences"]
    assert [s["text"] for s in sentences] == [
        "Their artillery shelled the market again.", "We call for talks and a ceasefire.",
        "The weather was mild on Friday."]
    for s in sentences:
        assert TEXT[s["start"]:s["end"]] == s["text"]
        assert set(s["scores"]) == {"accusation", "self_defence", "legal_appeal", "negotiation"}
        assert s["label"] == (max(s["labels"], key=s["scores"].get) if s["labels"] else "none")
        assert "explanation" not in s
    assert "accusation" in sentences[0]["labels"] and "negotiation" in sentences[1]["labels"]
    counted = sum(result["summary"].values())
    assert counted == sum(max(len(s["labels"]), 1) for s in sentences)
    assert list(result["summary"]) == ["accusation", "self_defence", "legal_appeal",
                                       "negotiation", "none"]


def test_batch_without_splitting_and_with_explanations(client):
    texts = ["We call for talks. Now.", "Their artillery shelled the market again."]
    body = client.post("/classify", json={"texts": texts, "split": False,
                                          "explain": True}).get_json()
    assert [r["sentences"][0]["text"] for r in body["results"]] == texts
    assert [len(r["sentences"]) for r in body["results"]] == [1, 1]
    first = body["results"][1]["sentences"][0]
    assert set(first["explanation"]) == set(first["labels"])


def test_ids_sent_with_texts_come_back_in_their_results(client):
    body = client.post("/classify", json={"texts": [
        {"id": "doc-7", "text": "We are ready to talk."}, "No id here.",
        {"id": 42, "text": "Their drones hit the hospital."}]}).get_json()
    assert [r.get("id") for r in body["results"]] == ["doc-7", None, 42]
    assert body["results"][2]["sentences"][0]["text"] == "Their drones hit the hospital."


@pytest.mark.parametrize("kwargs, status, code", [
    ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
    ({"data": b'{"text": "caf\xe9"}', "content_type": "application/json"}, 400,
     "invalid_encoding"),
    ({"data": "text=hello", "content_type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ({"json": ["a list"]}, 400, "invalid_request"),
    ({"json": {}}, 400, "invalid_request"),
    ({"json": {"text": "a", "texts": ["b"]}}, 400, "invalid_request"),
    ({"json": {"text": 5}}, 400, "invalid_request"),
    ({"json": {"texts": []}}, 400, "invalid_request"),
    ({"json": {"texts": ["ok", None]}}, 400, "invalid_request"),
    ({"json": {"text": "   "}}, 400, "empty_text"),
    ({"data": '{"text": "a \\ud800 b"}', "content_type": "application/json"}, 400,
     "invalid_encoding"),
    ({"data": "[" * 2000 + "]" * 2000, "content_type": "application/json"}, 400,
     "invalid_json"),
    ({"json": {"text": "fine", "split": "yes"}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": 1}]}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": [1], "text": "a"}]}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": True, "text": "a"}]}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": None, "text": "a"}]}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": "a", "text": "b", "lang": "en"}]}}, 400, "invalid_request"),
    ({"json": {"texts": [{"id": "a", "text": "  "}]}}, 400, "empty_text"),
    ({"json": {"text": {"id": "a", "text": "b"}}}, 400, "invalid_request"),
    ({"json": {"text": "fine", "lang": "en"}}, 400, "invalid_request"),
    ({"json": {"texts": ["a", "b", "c", "d"]}}, 422, "too_many_texts"),
    ({"json": {"text": "x" * 501}}, 422, "text_too_long"),
    ({"json": {"texts": ["War! " * 20, "War! " * 21]}}, 422, "too_many_sentences"),
    ({"data": json.dumps({"text": "x" * 5000}), "content_type": "application/json"}, 413,
     "request_entity_too_large"),
])
def test_bad_requests_get_a_json_error(client, kwargs, status, code):
    response = client.post("/classify", **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_options_answers_its_allow_header_and_no_body(client):
    response = client.options("/classify")
    assert response.status_code == 204 and not response.data
    assert "POST" in response.headers["Allow"] and "Content-Type" not in response.headers


def test_unknown_paths_and_methods_are_json(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.get("/classify")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_info_endpoints(client):
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.get("/ready").get_json() == {"ready": True, "model": "tiny-1"}
    assert client.get("/model").get_json()["version"] == "tiny-1"
    labels = client.get("/labels").get_json()["labels"]
    assert [l["id"] for l in labels] == ["accusation", "self_defence", "legal_appeal",
                                         "negotiation"]


def test_without_a_model_the_app_runs_but_is_not_ready(tmp_path):
    client = create_app({"TESTING": True, "MODEL_DIR": str(tmp_path)}).test_client()
    assert client.get("/health").status_code == 200
    response = client.get("/ready")
    assert response.status_code == 503 and "no active model" in response.get_json()["reason"]
    response = client.post("/classify", json={"text": "Hello there."})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "model_unavailable"


def test_the_analyst_page_is_served_with_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'id="text"' in html and 'id="classify"' in html
    assert 'data-write-access="false"' in html
    for asset in ("/static/casus.js", "/static/casus.css"):
        assert asset in html
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 1000
        response.close()


def test_the_page_offers_corrections_only_with_write_access(app):
    app.config["ADMIN_TOKEN"] = "x" * 20
    assert 'data-write-access="true"' in app.test_client().get("/").get_data(as_text=True)
