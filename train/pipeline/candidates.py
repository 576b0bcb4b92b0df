"""The candidate models compared by grouped cross-validation.

All are linear over TF-IDF features, so every prediction can be explained by the terms
that pushed it, and all give probabilities (calibrated where the model itself does not).
"""
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


def build_candidates(random_state=0):
    """Name -> unfitted multi-label pipeline (one binary model per label)."""
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
