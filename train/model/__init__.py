"""What a worker loads and runs: model versions on disk (``versions``), the serving form
(``serving_form``, over ``ngramhash`` and ``normalise``), the label set (``labelset``) and
the one prediction function (``predict``). numpy and scipy only: never scikit-learn or
skops (``tests/code/test_imports.py`` fails if it does)."""
