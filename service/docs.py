"""A readable API reference page rendered from the OpenAPI description (no scripts, no
CDN); the HTML is ``templates/docs.html``."""
import json

from flask import render_template


def render_docs(spec):
    """HTML for ``spec``: each endpoint with its summary, request schema and responses."""
    schemas = spec["components"]["schemas"]
    operations = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody")
            schema = body["content"]["application/json"]["schema"] if body else None
            if schema and "$ref" in schema:
                schema = schemas[schema["$ref"].split("/")[-1]]
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "body": json.dumps(schema, indent=1) if schema else None,
                "secured": bool(op.get("security")),
                "responses": [(status, response["description"])
                              for status, response in op["responses"].items()]})
    return render_template("docs.html", spec=spec, operations=operations)
