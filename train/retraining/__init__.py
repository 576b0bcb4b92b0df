"""Retraining with users' data: the SQLite example store and classified log (``store``),
checks on new examples (``intake``), training jobs (``jobs``), the retrain itself
(``retrain``), the promotion gate (``gate``) and the versions catalogue (``catalogue``)."""
