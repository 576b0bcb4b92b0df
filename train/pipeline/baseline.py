"""The keyword-dictionary baseline every evaluation reports beside the model."""
import json
import re

from train import CORPUS_DIR

KEYWORDS_FILE = CORPUS_DIR / "keywords.json"


def load_keywords(path=KEYWORDS_FILE):
    """Label id -> compiled pattern matching any of that label's keywords."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {label: re.compile("|".join(patterns), re.IGNORECASE)
            for label, patterns in doc["labels"].items()}


def keyword_predict(texts, label_ids, keywords=None):
    """0/1 rows: a label is predicted when one of its keywords occurs in the text.

    Labels the dictionary does not know are never predicted (a retrained label set
    simply has a weaker baseline).
    """
    keywords = load_keywords() if keywords is None else keywords
    return [[int(label in keywords and bool(keywords[label].search(text)))
             for label in label_ids] for text in texts]
