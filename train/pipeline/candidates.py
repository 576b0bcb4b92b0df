"""The candidate models compared by grouped cross-validation.

All are linear over TF-IDF features, so every prediction can be explained by the terms
that pushed it, and all give probabilities (calibrated where the model itself does not).
"""
import inspect

from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .features import text_features


#: Short names for choosing candidates on the command line, in the order built below.
SHORT_NAMES = ("lr", "svm", "word-lr")


def select_candidates(short_names, random_state=0):
    """The candidates called ``short_names`` (see ``SHORT_NAMES``), all when empty."""
    built = build_candidates(random_state)
    by_short = dict(zip(SHORT_NAMES, built))
    unknown = [name for name in short_names if name not in by_short]
    if unknown:
        raise ValueError(f"unknown candidate(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(SHORT_NAMES)}")
    return {by_short[n]: built[by_short[n]] for n in short_names} if short_names else built


def fit_pipeline(pipeline, texts, y, sample_weight=None):
    """Fit ``pipeline`` (a candidate's clone: it is changed in place), with
    per-sentence ``sample_weight`` when given.

    scikit-learn's metadata routing carries the weights through the one-vs-rest wrapper
    to each label's model and its calibration. It is switched on for this call only,
    and the routing requests are removed again after fitting: they only matter while
    fitting, and skops cannot save them (their owner links form a cycle it recurses
    into until Python's recursion limit).
    """
    if sample_weight is None:
        return pipeline.fit(texts, y)
    with config_context(enable_metadata_routing=True):
        for step in pipeline.get_params(deep=True).values():
            if hasattr(step, "set_fit_request") and \
                    "sample_weight" in inspect.signature(step.fit).parameters:
                step.set_fit_request(sample_weight=True)
        pipeline.fit(texts, y, sample_weight=sample_weight)
    _forget_requests(pipeline)
    return pipeline


def _forget_requests(obj, seen=None):
    """Remove the routing requests from ``obj`` and every scikit-learn object it holds."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _forget_requests(item, seen)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sklearn."):
        vars(obj).pop("_metadata_request", None)
        for value in vars(obj).values():
            _forget_requests(value, seen)


def build_candidates(random_state=0):
    """Name -> unfitted multi-label pipeline (one binary model per label); each fits
    with or without ``sample_weight`` through ``fit_pipeline``."""
    def lr(c):
        return LogisticRegression(C=c, solver="liblinear", max_iter=1000,
                                  random_state=random_state)
    return {
        "word+char tfidf, logistic regression (C=4)": Pipeline([
            ("features", text_features()),
            ("classify", OneVsRestClassifier(lr(4.0)))]),
        "word+char tfidf, linear SVM + sigmoid calibration (C=0.3)": Pipeline([
            ("features", text_features()),
            ("classify", OneVsRestClassifier(CalibratedClassifierCV(
                LinearSVC(C=0.3, random_state=random_state), method="sigmoid", cv=3)))]),
        "word tfidf, logistic regression (C=8)": Pipeline([
            ("features", text_features(chars=False)),
            ("classify", OneVsRestClassifier(lr(8.0)))]),
    }
