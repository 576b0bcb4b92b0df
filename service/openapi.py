"""The OpenAPI 3.1 description of the service, built for the labels of the served model:
the shared helpers first, then the retraining endpoints' paths, then the whole spec."""


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_response(description):
    """A documented error response: the shared Error schema."""
    return _json({"$ref": "#/components/schemas/Error"}, description)


_AUTH = {"401": error_response("Missing or wrong bearer token"),
         "403": error_response("Write access is off: CASUS_ADMIN_TOKEN is not set")}
_BODY_ERRORS = {"400": error_response("Invalid JSON or wrong fields"),
                "413": error_response("Body too large"), "415": error_response("Body is not JSON"),
                "503": error_response("The example store cannot be used right now")}


def admin_paths(label_ids):
    """Paths and schemas for /examples, /feedback, /train, /models and /review."""
    labels = {"type": "array", "items": {"enum": [*label_ids, "none"]}}
    text = {"type": "string", "minLength": 1, "maxLength": 2000}
    example = {"type": "object", "required": ["text", "labels"], "additionalProperties": False,
               "properties": {"text": text, "labels": labels, "id": {"type": "string"},
                              "speaker_role": {"type": "string"},
                              "register": {"type": "string"},
                              "conflict": {"type": "string"}}}
    intake = {"type": "object",
              "required": ["accepted", "skipped", "rejected", "rejections", "ids"],
              "properties": {
                  "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
                  "skipped": {"type": "integer", "description": "rows already stored with "
                              "the same labels (sending a batch again changes nothing)"},
                  "skips": {"type": "array"},
                  "ids": {"type": "array", "items": {"type": "integer"}},
                  "rejections": {"type": "array", "items": {
                      "type": "object", "required": ["row", "reason"],
                      "properties": {"row": {"type": "string"},
                                     "reason": {"type": "string"}}}},
                  "warnings": {"type": "array"}}}
    secured = [{"bearerAuth": []}]
    stored = {"type": "object", "required": ["id", "text", "labels", "kind", "added_at"],
              "properties": {"id": {"type": "integer"}, "text": {"type": "string"},
                             "labels": {"type": "array", "items": {"type": "string"}},
                             "kind": {"enum": ["example", "correction"]},
                             "source": {"type": "string"},
                             "added_by": {"type": ["string", "null"]},
                             "added_at": {"type": "string"},
                             "conflict": {"type": ["string", "null"]},
                             "meta": {"type": "object"}}}
    job = {"type": "object", "required": ["id", "state"], "properties": {
        "id": {"type": "string"},
        "state": {"enum": ["queued", "running", "succeeded", "rejected", "failed"]},
        "promoted": {"type": ["boolean", "null"]}, "reason": {"type": ["string", "null"]},
        "candidate": {"type": ["object", "null"]}, "active": {"type": ["object", "null"]},
        "error": {"type": ["string", "null"]},
        "user_domain": {"type": ["object", "null"], "description": "macro-F1 of candidate "
                        "and active version on the held-out part of the stored examples"},
        "corrections": {"type": ["object", "null"], "description": "stored corrections the "
                        "candidate reproduces: {kept, of}"},
        "progress": {"type": "object", "properties": {
            "stage": {"type": ["string", "null"]}, "candidate": {"type": ["string", "null"]},
            "fold": {"type": ["string", "null"]},
            "elapsed_seconds": {"type": ["number", "null"]},
            "remaining_seconds": {"type": ["number", "null"]},
            "log": {"type": "array", "items": {"type": "string"}}}}}}
    scores = {"type": "object", "properties": {k: {"type": "number"} for k in label_ids}}
    return {
        "/examples": {"post": {
            "summary": "Add labelled examples for the next training", "security": secured,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["examples"], "additionalProperties": False,
                "properties": {"examples": {"type": "array", "minItems": 1,
                                            "items": example}}}}}},
            "responses": {"201": _json(intake, "Counts, stored ids and every rejected row"),
                          "200": _json(intake, "Every row was already stored with the same "
                                               "labels; nothing changed"),
                          "422": error_response("No row accepted, or too many rows"),
                          **_BODY_ERRORS, **_AUTH}},
            "get": {
                "summary": "The stored examples and corrections, a page at a time",
                "security": secured,
                "parameters": [{"name": "offset", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 0,
                                           "maximum": 2**63 - 1, "default": 0}},
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                           "default": 100}}],
                "responses": {"200": _json({"type": "object",
                                            "required": ["total", "offset", "limit",
                                                         "examples", "next"],
                                            "properties": {
                                                "total": {"type": "integer"},
                                                "examples": {"type": "array",
                                                             "items": stored},
                                                "next": {"type": ["string", "null"]}}},
                                           "Oldest first; 'next' is the next page's URL"),
                              "400": error_response("Bad 'offset' or 'limit'"),
                              "503": error_response("The example store cannot be used "
                                                    "right now"), **_AUTH}}},
        "/examples/{example_id}": {"delete": {
            "summary": "Delete (undo) one stored example or correction; the deletion is "
                       "recorded", "security": secured,
            "parameters": [{"name": "example_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": _json({"type": "object", "required": ["deleted"],
                                        "properties": {"deleted": stored}},
                                       "The deleted row, with who deleted it and when"),
                          "404": error_response("No such example"),
                          "409": error_response("Already deleted"),
                          "503": error_response("The example store cannot be used right now"),
                          **_AUTH}}},
        "/feedback": {"post": {
            "summary": "Correct the labels of one sentence", "security": secured,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text", "labels"],
                "additionalProperties": False,
                "properties": {"text": text, "labels": labels,
                               "version": {"type": "string"},
                               "note": {"type": "string"}}}}}},
            "responses": {"201": _json(intake, "The correction is stored"),
                          "200": _json(intake, "The store already has this sentence with "
                                               "these labels; nothing changed"),
                          "422": error_response("The correction was refused"),
                          **_BODY_ERRORS, **_AUTH}}},
        "/train": {"post": {
            "summary": "Start training behind the quality gate", "security": secured,
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"force": {"type": "boolean", "default": False}}}}}},
            "responses": {"202": _json({"type": "object", "required": ["job", "status_url"],
                                        "properties": {"job": {"type": "string"},
                                                       "state": {"const": "queued"},
                                                       "status_url": {"type": "string"}}},
                                       "Job started"),
                          "409": error_response("A training job is already running"),
                          **_BODY_ERRORS, **_AUTH}}},
        "/train/{job_id}": {"get": {
            "summary": "A training job's state, figures and gate decision",
            "parameters": [{"name": "job_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json(job, "The job"), "404": error_response("No such job")}}},
        "/models": {"get": {
            "summary": "Model versions with status and test figures",
            "responses": {"200": _json({"type": "object",
                                        "required": ["active", "versions", "serving"],
                                        "properties": {"versions": {"type": "array"}}},
                                       "Versions, newest first")}}},
        "/models/{version}/activate": {"post": {
            "summary": "Make a version active (rollback or roll forward)", "security": secured,
            "parameters": [{"name": "version", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object", "required": ["active"]},
                                       "Activated; workers switch within seconds"),
                          "404": error_response("No such version"),
                          "422": error_response("The version's files are damaged"), **_AUTH}}},
        "/review": {"get": {
            "summary": "Stored sentences the model is least sure of", "security": secured,
            "parameters": [{"name": "n", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                       "default": 20}}],
            "responses": {"200": _json({"type": "object", "required": ["sentences"],
                                        "properties": {"sentences": {"type": "array", "items": {
                                            "type": "object",
                                            "required": ["text", "labels", "scores", "margin"],
                                            "properties": {"scores": scores}}}}},
                                       "Most uncertain first"),
                          "400": error_response("Bad 'n'"),
                          "503": error_response("No model loaded"),
                          **_AUTH}}},
    }


def _drift_response(label_ids):
    """GET /drift's answer: the window, and per label expected / observed / PSI."""
    share = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    row = {"type": "object", "required": ["expected", "observed", "psi"],
           "properties": {"expected": share, "observed": share,
                          "psi": {"type": ["number", "null"], "minimum": 0}}}
    return _json({"type": "object", "required": ["window", "verdict", "labels", "threshold"],
                  "properties": {
                      "window": {"type": "object", "required": ["size", "sentences"],
                                 "properties": {"size": {"type": "integer"},
                                                "sentences": {"type": "integer"},
                                                "seen": {"type": "integer"},
                                                "min_sentences": {"type": "integer"}}},
                      "threshold": {"type": "number"}, "model": {"type": "string"},
                      "verdict": {"type": "string", "description": "'stable', 'drift: "
                                  "<labels>', 'insufficient data' or 'unknown: ...'"},
                      "labels": {"type": "object", "properties": {
                          label: row for label in (*label_ids, "none")}}}},
                 "Per label: share in the training data, share in the window, PSI")


def openapi_spec(label_ids):
    """The spec as a dict; label-keyed objects list the served model's labels; every
    JSON request body and success answer carries an example (``EXAMPLES``)."""
    return with_examples(_spec(label_ids), label_ids)


def _spec(label_ids):
    """The spec without examples."""
    scores = {"type": "object", "additionalProperties": False, "required": list(label_ids),
              "properties": {label: {"type": "number", "minimum": 0, "maximum": 1}
                             for label in label_ids}}
    summary = {"type": "object", "additionalProperties": False,
               "required": [*label_ids, "none"],
               "properties": {name: {"type": "integer", "minimum": 0}
                              for name in (*label_ids, "none")}}
    term = {"type": "array", "items": {"type": ["string", "number"]},   # [term, weight]
            "minItems": 2, "maxItems": 2}
    sentence = {
        "type": "object", "additionalProperties": False,
        "required": ["text", "start", "end", "labels", "label", "scores"],
        "properties": {
            "text": {"type": "string"}, "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "labels": {"type": "array", "items": {"enum": list(label_ids)}},
            "label": {"enum": [*label_ids, "none"]},
            "scores": scores,
            "explanation": {"type": "object", "additionalProperties": {
                "type": "array", "items": term}}}}
    json_body = {"type": "object"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "casus", "version": "1",
                 "description": "Stance and framing labels for statements about conflicts."},
        "paths": {
            "/classify": {"post": {
                "summary": "Label every sentence of one text or a batch of texts",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ClassifyRequest"}}}},
                "responses": {
                    "200": {"description": "Sentences with labels, scores and counts",
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/ClassifyResponse"}}}},
                    "400": error_response("Invalid JSON, wrong or missing fields, empty text, "
                                  "non-UTF-8"),
                    "408": error_response("The body did not arrive in time"),
                    "413": error_response("Body too large"),
                    "415": error_response("Body is not JSON"),
                    "422": error_response("Too many texts, a text too long or too many "
                                          "sentences"),
                    "503": error_response("No model loaded, or the request ran past its "
                                          "time budget")}}},
            "/health": {"get": {"summary": "Liveness", "responses": {"200": {
                "description": "The process answers", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["status"],
                               "properties": {"status": {"const": "ok"}}}}}}}}},
            "/ready": {"get": {"summary": "Readiness: a model is loaded", "responses": {
                "200": {"description": "Ready", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ready", "model"],
                    "properties": {"ready": {"const": True}, "model": {"type": "string"}}}}}},
                "503": {"description": "Not ready", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["ready", "reason"],
                               "properties": {"ready": {"const": False},
                                              "reason": {"type": "string"}}}}}}}}},
            "/model": {"get": {"summary": "The active version's manifest and metrics",
                               "responses": {"200": {"description": "Manifest",
                                                     "content": {"application/json": {
                                                         "schema": json_body}}},
                                             "503": error_response("No model loaded")}}},
            "/labels": {"get": {"summary": "Label ids and definitions", "responses": {
                "200": {"description": "Labels", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["labels"], "properties": {"labels": {
                        "type": "array", "items": {
                            "type": "object", "required": ["id", "definition", "threshold"],
                            "properties": {"id": {"enum": list(label_ids)},
                                           "definition": {"type": "string"},
                                           "threshold": {"type": "number", "minimum": 0,
                                                         "maximum": 1}}}}}}}}},
                "503": error_response("No model loaded")}}},
            "/metrics": {"get": {
                "summary": "Prometheus metrics (text exposition format): requests, latency, "
                           "sentences and labels, model version and age, training jobs, "
                           "stored examples, label drift",
                "responses": {
                    "200": {"description": "Metrics", "content": {"text/plain": {
                        "schema": {"type": "string"},
                        "example": "casus_sentences_classified_total 42.0\n"}}},
                    "401": error_response("CASUS_METRICS=token and a missing or wrong "
                                          "token"),
                    "403": error_response("CASUS_METRICS=token with no token configured"),
                    "404": error_response("Metrics are off or on their own port")}}},
            "/drift": {"get": {
                "summary": "Label mix of recent traffic against the model's training data",
                "responses": {
                    "200": _drift_response(label_ids),
                    "503": error_response("No model loaded")}}},
            "/": {"get": {"summary": "The analyst page: paste a statement, see each "
                                     "sentence's labels (HTML)", "responses": {
                "200": {"description": "HTML page",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/docs/": {"get": {"summary": "This description in Swagger UI, where each "
                                         "operation can be tried against this server (HTML)",
                               "responses": {"200": {
                                   "description": "HTML page",
                                   "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/docs/{path}": {"get": {
                "summary": "Swagger UI's packaged scripts and styles",
                "parameters": [{"name": "path", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "A script, style sheet or image",
                                      "content": {"*/*": {"schema": {"type": "string"}}}},
                              "404": error_response("No such file")}}},
            "/openapi.json": {"get": {"summary": "This description", "responses": {
                "200": {"description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": json_body}}}}}},
            **admin_paths(label_ids),
        },
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                       "schemas": {
            "ClassifyRequest": {
                "type": "object", "additionalProperties": False,
                "oneOf": [{"required": ["text"]}, {"required": ["texts"]}],
                "properties": {
                    "text": {"type": "string", "pattern": "\\S"},
                    "texts": {"type": "array", "minItems": 1, "description":
                              "strings, or objects with a 'text' and an 'id' (a string or "
                              "an integer) that the text's result echoes, so results join "
                              "back by id rather than by position",
                              "items": {"oneOf": [
                                  {"type": "string", "pattern": "\\S"},
                                  {"type": "object", "additionalProperties": False,
                                   "required": ["text"],
                                   "properties": {"text": {"type": "string",
                                                           "pattern": "\\S"},
                                                  "id": {"type": ["string", "integer"]}}}]}},
                    "split": {"type": "boolean", "default": True},
                    "explain": {"type": "boolean", "default": False}}},
            "ClassifyResponse": {
                "type": "object", "additionalProperties": False,
                "required": ["model", "results"],
                "properties": {
                    "model": {"type": "object", "required": ["version", "labels"],
                              "properties": {"version": {"type": "string"},
                                             "created": {"type": ["string", "null"]},
                                             "labels": {"type": "array",
                                                        "items": {"type": "string"}}}},
                    "results": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["sentences", "summary"],
                        "properties": {"id": {"type": ["string", "integer"],
                                              "description": "the text's id, when sent"},
                                       "sentences": {"type": "array", "items": sentence},
                                       "summary": summary}}}}},
            "Error": {
                "type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"},
                                   "message": {"type": "string"}}}}},
        }},
    }


def _examples(label_ids):
    """Example request bodies and answers, keyed by (path, method, status or 'request');
    the model's own label ids fill the label-keyed parts. A test validates each against
    its schema."""
    labels = list(label_ids)
    first = labels[0] if labels else "accusation"
    scores = {label: round(0.91 if label == first else 0.03, 2) for label in labels}
    summary = {label: int(label == first) for label in (*labels, "none")}
    sentence = {"text": "Their drones hit the hospital again.", "start": 0, "end": 36,
                "labels": [first], "label": first, "scores": scores}
    stored = {"id": 42, "text": "Talks resume in Muscat next week.", "labels": ["negotiation"],
              "kind": "example", "source": "api", "added_by": "ana",
              "added_at": "2026-12-03T09:00:00.000000+00:00", "conflict": "my-conflict"}
    intake = {"accepted": 1, "skipped": 0, "rejected": 0, "ids": [42], "rejections": [],
              "skips": [], "warnings": []}
    figures = {"macro_f1": 0.881, "per_label_f1": {label: 0.88 for label in labels}}
    row = {"expected": 0.27, "observed": 0.31, "psi": 0.008}
    return {
        ("/classify", "post", "request"): {"texts": [
            {"id": "doc-1", "text": "Their drones hit the hospital again. We are ready to "
                                    "talk."}], "split": True, "explain": False},
        ("/classify", "post", "200"): {
            "model": {"version": "20261203T075637668196Z", "created": "2026-12-03T07:56:37",
                      "labels": labels},
            "results": [{"id": "doc-1", "sentences": [sentence], "summary": summary}]},
        ("/health", "get", "200"): {"status": "ok"},
        ("/ready", "get", "200"): {"ready": True, "model": "20261203T075637668196Z"},
        ("/model", "get", "200"): {"version": "20261203T075637668196Z", "labels": labels,
                                   "thresholds": {label: 0.45 for label in labels}},
        ("/labels", "get", "200"): {"labels": [{"id": label, "definition": "...",
                                                "threshold": 0.45} for label in labels]},
        ("/openapi.json", "get", "200"): {"openapi": "3.1.0", "info": {"title": "casus"}},
        ("/drift", "get", "200"): {
            "window": {"size": 10000, "sentences": 10000, "seen": 48211,
                       "min_sentences": 500},
            "threshold": 0.25, "model": "20261203T075637668196Z", "verdict": "stable",
            "labels": {label: row for label in (*labels, "none")}},
        ("/examples", "post", "request"): {"examples": [
            {"text": "Talks resume in Muscat next week.", "labels": ["negotiation"],
             "conflict": "my-conflict"}]},
        ("/examples", "post", "201"): intake,
        ("/examples", "post", "200"): dict(intake, accepted=0, skipped=1, ids=[], skips=[
            {"row": "examples[0]", "reason": "already in the store with the same labels"}]),
        ("/examples", "get", "200"): {"total": 1, "offset": 0, "limit": 100,
                                      "examples": [stored], "next": None},
        ("/examples/{example_id}", "delete", "200"): {"deleted": dict(
            stored, deleted_at="2026-12-03T10:00:00.000000+00:00", deleted_by="ana")},
        ("/feedback", "post", "request"): {"text": "The UN envoy met both delegations.",
                                           "labels": []},
        ("/feedback", "post", "201"): intake,
        ("/feedback", "post", "200"): dict(intake, accepted=0, skipped=1, ids=[]),
        ("/train", "post", "request"): {"force": False},
        ("/train", "post", "202"): {"job": "3f2a9c81d0b4", "state": "queued",
                                    "status_url": "/train/3f2a9c81d0b4"},
        ("/train/{job_id}", "get", "200"): {
            "id": "3f2a9c81d0b4", "state": "running", "promoted": None, "reason": None,
            "candidate": None, "active": None, "error": None, "user_domain": None,
            "corrections": None,
            "progress": {"stage": "cross-validation", "candidate": "1/1", "fold": "3/5",
                         "elapsed_seconds": 24.1, "remaining_seconds": 31.5,
                         "log": ["    fold 3/5: 8448 train / 2110 held out (9.2s)"]}},
        ("/models", "get", "200"): {"active": "20261203T075637668196Z", "serving":
                                    "20261203T075637668196Z", "versions": [
                                        {"version": "20261203T075637668196Z",
                                         "status": "active", "test": figures}]},
        ("/models/{version}/activate", "post", "200"): {"active": "20261203T075637668196Z"},
        ("/review", "get", "200"): {"model": "20261203T075637668196Z", "sentences": [
            {"text": "Both sides were told to hold their fire.", "labels": [],
             "scores": scores, "margin": 0.02}]},
    }


def with_examples(spec, label_ids):
    """``spec`` with ``_examples`` set on the JSON bodies they belong to."""
    for (path, method, where), example in _examples(label_ids).items():
        operation = spec["paths"][path][method]
        if where == "request":
            content = operation["requestBody"]["content"]["application/json"]
        else:
            content = operation["responses"][where]["content"]["application/json"]
        content["example"] = example
    return spec
