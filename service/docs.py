"""A readable API reference page rendered from the OpenAPI description (no scripts, no CDN)."""
import json
from html import escape

_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
          "padding:0 1rem;color:#222}code,pre{background:#f4f4f4;border-radius:4px}"
          "pre{padding:.6rem;overflow-x:auto}h2{border-top:1px solid #ddd;padding-top:1rem}"
          "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem}")


def render_docs(spec):
    """HTML for ``spec``: each endpoint with its summary, request schema and responses."""
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width,initial-scale=1'>"
             f"<title>{escape(spec['info']['title'])} API</title><style>{_STYLE}</style>"
             f"</head><body><h1>{escape(spec['info']['title'])} API</h1>"
             f"<p>{escape(spec['info']['description'])} Machine-readable: "
             f"<a href='/openapi.json'>/openapi.json</a> (OpenAPI {spec['openapi']}).</p>"
             "<pre>curl -s -X POST http://127.0.0.1:8000/classify "
             "-H 'Content-Type: application/json' \\\n  -d '{\"text\": \"We call for an "
             "immediate ceasefire. Their drones hit the hospital.\"}'</pre>"]
    schemas = spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            parts.append(f"<h2><code>{method.upper()} {escape(path)}</code></h2>"
                         f"<p>{escape(op.get('summary', ''))}</p>")
            body = op.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].split("/")[-1]]
                parts.append("<h3>Request body (JSON)</h3><pre>" +
                             escape(json.dumps(schema, indent=1)) + "</pre>")
            if op.get("security"):
                parts.append("<p>Needs <code>Authorization: Bearer &lt;CASUS_ADMIN_TOKEN"
                             "&gt;</code>.</p>")
            parts.append("<table><tr><th>status</th><th>meaning</th></tr>")
            for status, response in op["responses"].items():
                parts.append(f"<tr><td>{status}</td><td>{escape(response['description'])}"
                             "</td></tr>")
            parts.append("</table>")
    parts.append("<h2>Errors</h2><p>Every error is JSON: <code>{\"error\": {\"code\": ..., "
                 "\"message\": ...}}</code>.</p></body></html>")
    return "".join(parts)
