"""The OpenAPI 3.1 description of the service, built for the labels of the served model."""
from .openapi_admin import admin_paths, error_response


def openapi_spec(label_ids):
    """The spec as a dict; label-keyed objects list the served model's labels."""
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
                    "413": error_response("Body too large"),
                    "415": error_response("Body is not JSON"),
                    "422": error_response("Too many texts or a text too long"),
                    "503": error_response("No model loaded")}}},
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
                            "type": "object", "required": ["id", "definition"],
                            "properties": {"id": {"enum": list(label_ids)},
                                           "definition": {"type": "string"}}}}}}}}},
                "503": error_response("No model loaded")}}},
            "/": {"get": {"summary": "The analyst page: paste a statement, see each "
                                     "sentence's labels (HTML)", "responses": {
                "200": {"description": "HTML page",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
            "/docs": {"get": {"summary": "A readable API reference (HTML)", "responses": {
                "200": {"description": "HTML page",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
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
                    "texts": {"type": "array", "minItems": 1,
                              "items": {"type": "string", "pattern": "\\S"}},
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
                        "properties": {"sentences": {"type": "array", "items": sentence},
                                       "summary": summary}}}}},
            "Error": {
                "type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"},
                                   "message": {"type": "string"}}}}},
        }},
    }
