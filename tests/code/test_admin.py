"""The retraining endpoints: token checks, examples, feedback, jobs, models, review."""
import pytest

from train.model import versions
from train.pipeline.corpus import load_corpus
from train.pipeline.records import Example
from train.pipeline.split import load_split, partition
from train.retraining.jobs import DIED, training_lock
from train.retraining.store import ExampleStore

WRITES = [("post", "/examples", {"examples": [{"text": "A new one.", "labels": []}]}),
          ("post", "/feedback", {"text": "A new one.", "labels": []}),
          ("post", "/train", None),
          ("post", "/models/v1/activate", None),
          ("get", "/review", None),
          ("get", "/examples", None),
          ("delete", "/examples/1", None)]


@pytest.fixture(scope="module")
def corpus_sentences():
    """One training sentence and one frozen-test sentence of the shipped corpus."""
    training, test = partition(load_corpus(), load_split())
    return training[0], test[0]


def store_of(app):
    return ExampleStore(app.config["DATA_DIR"])


@pytest.mark.parametrize("method, path, body", WRITES, ids=[p for _, p, _ in WRITES])
def test_writes_are_off_without_a_configured_token(admin_app, method, path, body):
    admin_app.config["ADMIN_TOKEN"] = None
    response = getattr(admin_app.test_client(), method)(path, json=body)
    assert response.status_code == 403
    assert "CASUS_ADMIN_TOKEN" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret-token", "Basic s3cret-token",
                                    "Bearer s3cret-token-and-more"])
@pytest.mark.parametrize("method, path, body", WRITES, ids=[p for _, p, _ in WRITES])
def test_a_missing_or_wrong_token_gets_401(admin_client, method, path, body, header):
    headers = {"Authorization": header} if header else {}
    response = getattr(admin_client, method)(path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert store_of(admin_client.application).counts() == {"example": 0, "correction": 0}


def test_examples_are_stored_and_rejections_explained(admin_client, corpus_sentences):
    known, held_out = corpus_sentences
    rows = [{"text": "The minister said the blockade was a crime against the fishermen.",
             "labels": ["accusation"], "conflict": "my-conflict"},
            {"text": "Talks resume on Monday, the envoy said.", "labels": ["negotiation"]},
            {"text": "   ", "labels": []},
            {"text": "Something else.", "labels": ["acusation"]},
            {"text": held_out.text, "labels": list(held_out.labels)},
            {"text": known.text, "labels": list(known.labels)},
            {"text": "No labels field."},
            "not an object"]
    response = admin_client.post("/examples", json={"examples": rows},
                                 headers=admin_client.auth)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["accepted"], body["skipped"], body["rejected"]) == (2, 1, 5)
    reasons = {r["row"]: r["reason"] for r in body["rejections"]}
    assert "empty" in reasons["examples[2]"]
    assert "did you mean 'accusation'" in reasons["examples[3]"]
    assert "frozen test split" in reasons["examples[4]"]
    assert body["skips"] == [{"row": "examples[5]",
                              "reason": "already in the shipped corpus with the same labels"}]
    assert "labels" in reasons["examples[6]"] and "object" in reasons["examples[7]"]
    stored = store_of(admin_client.application).training_examples()
    assert [(e.text, e.labels, e.meta["conflict"]) for e in stored] == [
        (rows[0]["text"], ("accusation",), "my-conflict"),
        (rows[1]["text"], ("negotiation",), "user:api")]


def test_a_batch_with_nothing_acceptable_is_422_and_stores_nothing(admin_client):
    response = admin_client.post("/examples", json={"examples": [{"text": "x", "labels": ["?"]}]},
                                 headers=admin_client.auth)
    assert response.status_code == 422
    assert response.get_json()["error"]["rejections"][0]["row"] == "examples[0]"
    assert store_of(admin_client.application).counts()["example"] == 0


@pytest.mark.parametrize("body", [{}, {"examples": []}, {"examples": "text"},
                                  {"examples": [], "extra": 1}])
def test_malformed_example_requests_are_400(admin_client, body):
    response = admin_client.post("/examples", json=body, headers=admin_client.auth)
    assert response.status_code == 400


def test_unpaired_surrogates_anywhere_in_a_row_are_400_and_store_nothing(admin_client):
    body = b'{"examples": [{"text": "Fine.", "labels": [], "conflict": "x\\udc00"}]}'
    response = admin_client.post("/examples", data=body, content_type="application/json",
                                 headers=admin_client.auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_encoding"
    assert store_of(admin_client.application).counts()["example"] == 0


def test_unknown_row_fields_are_rejected_by_name(admin_client):
    response = admin_client.post("/examples", headers=admin_client.auth, json={
        "examples": [{"text": "Talks resume on Monday.", "labels": [], "lang": "en"}]})
    assert response.status_code == 422
    assert "lang" in response.get_json()["error"]["rejections"][0]["reason"]


def test_a_broken_store_is_503_not_500(admin_client, tmp_path):
    admin_client.application.config["DATA_DIR"] = str(tmp_path / "data")
    store_of(admin_client.application)
    (tmp_path / "data" / "casus.sqlite3").write_bytes(b"this is not a database" * 100)
    admin_client.application.extensions.pop("casus_store", None)
    admin_client.application.extensions.pop("casus_intake_check", None)
    response = admin_client.post("/feedback", json={"text": "Talks now.", "labels": []},
                                 headers=admin_client.auth)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"


def test_feedback_corrects_a_known_sentence(admin_client, corpus_sentences):
    known, _ = corpus_sentences
    new_labels = ["negotiation"] if "negotiation" not in known.labels else []
    response = admin_client.post("/feedback", json={"text": known.text, "labels": new_labels,
                                                    "version": "v1"},
                                 headers=admin_client.auth)
    assert response.status_code == 201 and response.get_json()["accepted"] == 1
    store = store_of(admin_client.application)
    assert store.counts() == {"example": 0, "correction": 1}
    assert store.training_examples()[0].labels == tuple(new_labels)


def test_feedback_on_the_test_split_is_refused(admin_client, corpus_sentences):
    _, held_out = corpus_sentences
    response = admin_client.post("/feedback", json={"text": held_out.text, "labels": []},
                                 headers=admin_client.auth)
    assert response.status_code == 422
    assert "frozen test split" in response.get_json()["error"]["rejections"][0]["reason"]


def test_a_second_training_while_one_runs_gets_409(admin_client):
    with training_lock(store_of(admin_client.application)):
        response = admin_client.post("/train", headers=admin_client.auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "training_in_progress"


def test_a_job_whose_process_died_is_reported_failed(admin_client):
    store = store_of(admin_client.application)
    store.create_job("deadbeef0001")
    store.update_job("deadbeef0001", state="running", pid=999999)
    body = admin_client.get("/train/deadbeef0001").get_json()
    assert body["state"] == "failed" and body["error"] == DIED
    assert admin_client.get("/train/nope").status_code == 404


def test_models_lists_versions_and_activation_switches(admin_client, save_tiny):
    save_tiny("v2")
    listing = admin_client.get("/models").get_json()
    assert [v["version"] for v in listing["versions"]] == ["v2", "v1"]
    assert listing["active"] == listing["serving"] == "v1"
    assert admin_client.post("/models/v9/activate", headers=admin_client.auth).status_code == 404
    response = admin_client.post("/models/v2/activate", headers=admin_client.auth)
    assert response.status_code == 200
    assert versions.active_version(save_tiny.root) == "v2"
    assert versions.activation_history(save_tiny.root)[:2] == ["v2", "v1"]


def test_a_damaged_version_cannot_be_activated(admin_client, save_tiny):
    path = save_tiny("v2") / versions.MODEL_FILE
    path.write_bytes(path.read_bytes()[:-100])
    response = admin_client.post("/models/v2/activate", headers=admin_client.auth)
    assert response.status_code == 422 and "SHA-256" in response.get_json()["error"]["message"]
    assert versions.active_version(save_tiny.root) == "v1"


def test_review_offers_logged_sentences_least_certain_first(admin_app):
    admin_app.config["LOG_CLASSIFIED"] = True
    client = admin_app.test_client()
    text = ("Their artillery shelled the market again. We are ready for talks. "
            "The weather was mild. It violates international law.")
    assert client.post("/classify", json={"text": text}).status_code == 200
    assert admin_app.extensions["casus_classified_log"].flush(30)   # written off the request
    store_of(admin_app).add([Example(text="The weather was mild.", labels=(), where="t")])
    response = client.get("/review?n=10", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    items = response.get_json()["sentences"]
    assert len(items) == 3 and "The weather was mild." not in [i["text"] for i in items]
    for item in items:   # the distance of the score nearest its threshold (0.3 for all)
        assert item["margin"] == round(min(abs(s - 0.3) for s in item["scores"].values()), 4)
    assert [i["margin"] for i in items] == sorted(i["margin"] for i in items)
    two = client.get("/review?n=2", headers={"Authorization": "Bearer s3cret-token"})
    assert two.get_json()["sentences"] == items[:2]
    for n in ("0", "201", "²", "x", "-1"):
        bad = client.get(f"/review?n={n}", headers={"Authorization": "Bearer s3cret-token"})
        assert bad.status_code == 400, n


def test_classified_text_is_not_kept_unless_logging_is_on(admin_client):
    admin_client.post("/classify", json={"text": "Their artillery shelled the market."})
    assert "casus_classified_log" not in admin_client.application.extensions   # no queue
    assert store_of(admin_client.application).unlabelled() == []


def test_every_response_names_the_model_version(admin_client):
    for path in ("/health", "/models", "/labels"):
        assert admin_client.get(path).headers["X-Casus-Model-Version"] == "v1"
    body = admin_client.post("/classify", json={"text": "Talks now."}).get_json()
    assert body["model"]["version"] == "v1"


def test_a_variant_the_model_cannot_tell_apart_counts_as_the_test_sentence(admin_client,
                                                                          corpus_sentences):
    _, held_out = corpus_sentences
    variant = held_out.text.replace("'", "\u2019").upper().replace(" ", "  ")
    for digit in "0123456789":
        variant = variant.replace(digit, "7")
    response = admin_client.post("/feedback", json={"text": variant, "labels": []},
                                 headers=admin_client.auth)
    assert response.status_code == 422
    assert "frozen test split" in response.get_json()["error"]["rejections"][0]["reason"]


def test_reading_a_job_never_creates_the_store(admin_app, tmp_path):
    admin_app.config["DATA_DIR"] = str(tmp_path / "elsewhere")
    assert admin_app.test_client().get("/train/abc").status_code == 404
    assert not (tmp_path / "elsewhere").exists()


def test_an_unwritable_data_directory_is_503(admin_app, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    admin_app.config["DATA_DIR"] = str(tmp_path / "a-file" / "data")
    response = admin_app.test_client().post(
        "/feedback", json={"text": "Talks now.", "labels": []},
        headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"


def test_sending_the_same_examples_again_skips_them_and_changes_nothing(admin_client):
    rows = [{"text": "The envoy said both sides would meet again in Geneva.",
             "labels": ["negotiation"]}]
    first = admin_client.post("/examples", json={"examples": rows}, headers=admin_client.auth)
    again = admin_client.post("/examples", json={"examples": rows}, headers=admin_client.auth)
    assert first.status_code == 201 and first.get_json()["accepted"] == 1
    assert again.status_code == 200
    assert (again.get_json()["accepted"], again.get_json()["skipped"]) == (0, 1)
    assert store_of(admin_client.application).counts() == {"example": 1, "correction": 0}


def test_examples_page_and_delete_undoes_a_correction(admin_client):
    auth = admin_client.auth
    texts = [f"Talks on the {place} round of the border commission ended." for place in
             ("Geneva", "Oslo", "Doha", "Muscat", "Vienna")]
    admin_client.post("/examples", json={"examples": [{"text": t, "labels": ["negotiation"]}
                                                      for t in texts]}, headers=auth)
    fix = admin_client.post("/feedback", json={"text": texts[0], "labels": []},
                            headers=auth).get_json()["ids"][0]
    page = admin_client.get("/examples?limit=4", headers=auth).get_json()
    assert (page["total"], len(page["examples"])) == (6, 4)
    rest = admin_client.get(page["next"], headers=auth).get_json()
    assert [r["text"] for r in rest["examples"]] == [texts[4], texts[0]]
    assert rest["examples"][1]["id"] == fix and rest["next"] is None
    assert rest["examples"][1]["kind"] == "correction"

    deleted = admin_client.delete(f"/examples/{fix}", headers={**auth, "X-Casus-User": "ana"})
    assert deleted.status_code == 200 and deleted.get_json()["deleted"]["deleted_by"] == "ana"
    assert admin_client.delete(f"/examples/{fix}", headers=auth).status_code == 409
    assert admin_client.delete("/examples/999", headers=auth).status_code == 404
    stored = store_of(admin_client.application).training_examples()
    assert [e.labels for e in stored if e.text == texts[0]] == [("negotiation",)]
    assert admin_client.get("/examples", headers=auth).get_json()["total"] == 5


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "offset=x", "page=2"])
def test_bad_paging_is_a_400(admin_client, query):
    response = admin_client.get(f"/examples?{query}", headers=admin_client.auth)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == \
        "invalid_request"


@pytest.mark.parametrize("method, path", [("get", "/examples"), ("delete", "/examples/1"),
                                          ("post", "/feedback")])
def test_a_damaged_store_is_a_503_saying_so(admin_app, method, path):
    data = admin_app.config["DATA_DIR"]
    from pathlib import Path
    Path(data).mkdir(parents=True)
    (Path(data) / "casus.sqlite3").write_bytes(bytes(range(256)) * 64)
    client = admin_app.test_client()
    body = {"text": "We are ready to talk.", "labels": []} if method == "post" else None
    response = getattr(client, method)(path, json=body,
                                       headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"
