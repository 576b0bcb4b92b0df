"""API docs people can try: Swagger UI at /docs/, served from the copy packaged in
flask-swagger-ui (no CDN, works offline) and pointed at this server's own
/openapi.json by a relative URL, so "Try it out" sends requests to the server the page
came from, whatever its host and port."""
from flask_swagger_ui import get_swaggerui_blueprint

#: Where the docs are served.
DOCS_URL = "/docs"


def docs_blueprint():
    """The Swagger UI blueprint for this app."""
    return get_swaggerui_blueprint(DOCS_URL, "/openapi.json", config={
        "app_name": "casus API", "displayRequestDuration": True, "tryItOutEnabled": True,
        "defaultModelsExpandDepth": 0})
