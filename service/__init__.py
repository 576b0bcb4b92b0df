"""casus service package (the Flask application arrives with the classification-service issue)."""
