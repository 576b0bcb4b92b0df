"""The served arrays give the trained pipeline's own scores, for the real model."""
import numpy as np

from train.pipeline.corpus import load_corpus
from train.pipeline.saving import load_pipeline
from train.pipeline.split import load_split, partition


def test_serving_form_matches_the_pipeline_on_the_test_split(model):
    pipeline = load_pipeline(model.version)
    _, test = partition(load_corpus(), load_split())
    texts = [e.text for e in test] + ["", "!!!", "Ünïcödé — “quotes” 2334", "a " * 500]
    ours = model.serving_form.predict_proba(model.serving_form.transform(texts))
    theirs = pipeline.predict_proba(texts)
    assert np.abs(ours - theirs).max() < 1e-9
