"""/openapi.json stays true: real responses of every endpoint validate against it."""
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

REQUESTS = [
    ("post", "/classify", {"json": {"text": "They shelled the port. We call for talks."}}, 200),
    ("post", "/classify", {"json": {"texts": ["a b c.", "We call for talks."],
                                    "explain": True}}, 200),
    ("post", "/classify", {"json": {"texts": ["x"], "split": False}}, 200),
    ("post", "/classify", {"data": "{", "content_type": "application/json"}, 400),
    ("post", "/classify", {"json": {"text": ""}}, 400),
    ("post", "/classify", {"data": "x", "content_type": "text/plain"}, 415),
    ("post", "/classify", {"json": {"texts": ["a"] * 4}}, 422),
    ("post", "/classify", {"data": '{"text": "' + "x" * 5000 + '"}',
                           "content_type": "application/json"}, 413),
    ("get", "/health", {}, 200),
    ("get", "/ready", {}, 200),
    ("get", "/model", {}, 200),
    ("get", "/labels", {}, 200),
    ("get", "/openapi.json", {}, 200),
]


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def validator_for(spec, schema):
    """A validator for ``schema`` whose "#/components/..." references resolve in ``spec``."""
    registry = Registry().with_resource("urn:spec", Resource.opaque(spec))
    if "$ref" in schema:
        schema = {"$ref": "urn:spec" + schema["$ref"]}
    return Draft202012Validator(schema, registry=registry)


@pytest.mark.parametrize("method, path, kwargs, status", REQUESTS,
                         ids=[f"{m} {p} {s}" for m, p, _, s in REQUESTS])
def test_responses_match_the_spec(client, spec, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    documented = spec["paths"][path][method]["responses"]
    assert str(status) in documented, f"{status} not documented for {method} {path}"
    schema = documented[str(status)]["content"]["application/json"]["schema"]
    errors = list(validator_for(spec, schema).iter_errors(response.get_json()))
    assert not errors, [e.message for e in errors]


def test_every_route_is_documented(app, spec):
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert routes == set(spec["paths"])


def test_every_json_operation_has_examples_that_match_its_schemas(spec):
    seen = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            bodies = []
            request = operation.get("requestBody", {}).get("content", {})
            if "application/json" in request:
                bodies.append(("request", request["application/json"]))
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status.startswith("2") and "application/json" in content:
                    bodies.append((status, content["application/json"]))
            for where, body in bodies:
                assert "example" in body, f"{method.upper()} {path} {where} has no example"
                errors = list(validator_for(spec, body["schema"]).iter_errors(body["example"]))
                assert not errors, (method, path, where, [e.message for e in errors])
                seen += 1
    assert seen >= 20


def test_the_request_schema_accepts_and_refuses_like_the_service(spec):
    schema = {"$ref": "#/components/schemas/ClassifyRequest"}
    validator = validator_for(spec, schema)
    assert validator.is_valid({"text": "hi", "explain": True})
    assert not validator.is_valid({"text": "hi", "texts": ["x"]})
    assert not validator.is_valid({"text": "hi", "lang": "en"})


def test_docs_are_swagger_ui_served_locally_and_pointed_at_this_server(client):
    page = client.get("/docs/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '"url": "/openapi.json"' in html        # relative: the server the page is on
    loaded = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert loaded and all(url.startswith("/docs/") for url in loaded), loaded  # no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs/{asset}" in html
        assert client.get(f"/docs/{asset}").status_code == 200
    assert client.get("/docs").status_code in (301, 308)       # to /docs/
