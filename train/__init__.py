"""casus's model side, one room per job: ``data/`` (the corpus), ``model/`` (what a worker
loads and runs), ``pipeline/`` (the scikit-learn training pipeline), ``retraining/``
(users' examples, training jobs and the promotion gate); ``__main__`` is the command line."""
from pathlib import Path

#: Where the shipped corpus, its label set, split and documentation live.
CORPUS_DIR = Path(__file__).resolve().parent / "data"
