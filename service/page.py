"""The analyst page: one HTML page (plain HTML, CSS and JavaScript under static/) that
calls /labels, /classify and, with write access, /feedback, /review, /examples and
/train."""
from flask import Blueprint, current_app, render_template

page_bp = Blueprint("page", __name__)


@page_bp.get("/")
def index():
    """The page; it learns the labels from the served model when it loads."""
    config = current_app.config
    return render_template("index.html", write_access=bool(config.get("ADMIN_TOKEN")),
                           max_chars=config["MAX_TEXT_CHARS"],
                           max_texts=config["MAX_TEXTS"],
                           max_body=config["MAX_CONTENT_LENGTH"])
