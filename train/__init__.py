"""casus training package: the labelled corpus, its validator and the model pipeline."""
from pathlib import Path

#: Where the shipped corpus, its label set, split and documentation live.
CORPUS_DIR = Path(__file__).resolve().parent / "data"
