"""Compiling a fitted casus pipeline into its serving form (``serving_form.py``): the
training side, which reads scikit-learn's fitted attributes."""
import numpy as np

from train.model.serving_form import SEPARATOR, ServingForm
from train.model.versions import LoadedModel


def _pack(strings):
    return np.frombuffer(SEPARATOR.join(strings).encode("utf-8"), dtype=np.uint8)


def _linear_parts(estimator, n_features):
    """(weights, intercept, a, b) rows giving P = expit(-(a * (w.x + c) + b)) for each
    sub-model of one label's estimator."""
    if hasattr(estimator, "calibrated_classifiers_"):        # sigmoid-calibrated, averaged
        return [(np.asarray(c.estimator.coef_).ravel(), float(np.ravel(c.estimator.intercept_)[0]),
                 float(c.calibrators[0].a_), float(c.calibrators[0].b_))
                for c in estimator.calibrated_classifiers_]
    if hasattr(estimator, "coef_"):                           # logistic regression
        return [(np.asarray(estimator.coef_).ravel(), float(np.ravel(estimator.intercept_)[0]),
                 -1.0, 0.0)]
    # a label constant in training: scikit-learn's _ConstantPredictor answers y_ always
    p = float(np.clip(np.ravel(estimator.y_)[0], 1e-12, 1 - 1e-12))
    return [(np.zeros(n_features), 0.0, 0.0, float(-np.log(p / (1 - p))))]


def label_weights(classifier):
    """Per label, the weight vector whose dot product with the features drives its score.

    Handles plain linear models and sigmoid-calibrated ones (whose calibration slope can
    flip the sign); calibrated folds are averaged.
    """
    weights = []
    for estimator in classifier.estimators_:
        if hasattr(estimator, "coef_"):
            weights.append(np.asarray(estimator.coef_).ravel())
        elif hasattr(estimator, "calibrated_classifiers_"):
            weights.append(np.mean([
                -c.calibrators[0].a_ * np.asarray(c.estimator.coef_).ravel()
                for c in estimator.calibrated_classifiers_], axis=0))
        else:  # a label that was constant in training has nothing to explain
            weights.append(None)
    return weights


def compile_pipeline(pipeline):
    """The arrays of ``serving.npz`` for a fitted casus pipeline."""
    explain_weights = label_weights(pipeline.named_steps["classify"])
    features = dict(pipeline.named_steps["features"].transformer_list)
    arrays, n_features = {}, 0
    if "word" in features:
        word = features["word"]
        terms = sorted(word.vocabulary_, key=word.vocabulary_.get)
        arrays.update(word_terms=_pack(terms), word_idf=word.idf_,
                      word_ngrams=np.array(word.ngram_range))
        n_features += len(terms)
    if "char" in features:
        counts, tfidf = features["char"].named_steps["counts"], features["char"].named_steps["tfidf"]
        arrays.update(char_hashes=counts.vocabulary_hashes_,
                      char_terms=_pack(counts.feature_names_.tolist()), char_idf=tfidf.idf_,
                      char_ngrams=np.array(counts.ngram_range))
        n_features += len(counts.vocabulary_hashes_)
    rows, label_of = [], []
    for k, estimator in enumerate(pipeline.named_steps["classify"].estimators_):
        parts = _linear_parts(estimator, n_features)
        rows.extend(parts)
        label_of.extend([k] * len(parts))
    arrays.update(weights=np.stack([r[0] for r in rows], axis=1),      # features x models
                  intercepts=np.array([r[1] for r in rows]),
                  cal_a=np.array([r[2] for r in rows]), cal_b=np.array([r[3] for r in rows]),
                  label_of=np.array(label_of),
                  explain=np.stack([w if w is not None else np.zeros(n_features)
                                    for w in explain_weights]))
    return arrays


def compile_model(pipeline, label_ids, thresholds, manifest):
    """A fitted pipeline, in memory, as a model ``predict`` can run (what loading its saved
    version would give)."""
    return LoadedModel(ServingForm(compile_pipeline(pipeline)), list(label_ids), thresholds,
                       manifest)
