"""Property tests: segmentation and request validation hold for any input.

Short in ``make test``; ``make fuzz`` raises the example counts (CASUS_FUZZ_EXAMPLES).
"""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_model import LABELS, fit_tiny

from service import create_app
from service.segment import _CLOSERS, _SEGMENTER, sentence_spans, single_sentence
from train.artifacts import LoadedModel

#: ``make test`` runs a short, repeatable sample; ``make fuzz`` a long, random one.
RANDOM = os.environ.get("CASUS_FUZZ_RANDOM") == "1"
EXAMPLES = int(os.environ.get("CASUS_FUZZ_EXAMPLES", "15")) * 4
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM,
                    suppress_health_check=[HealthCheck.too_slow])

#: Statement-like text: letters, digits, sentence punctuation, quotes, spaces, newlines,
#: and now and then any character at all.
PROSE = st.text(st.one_of(st.sampled_from(list("abc XYZ 019 .?!…;:,\"'“”‘’()-—\n\t")),
                          st.characters()), max_size=400)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
                    st.text(max_size=50),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def app_with_tiny_model():
    pipeline = fit_tiny()
    model = LoadedModel.from_pipeline(pipeline, LABELS, {label: 0.3 for label in LABELS},
                                      {"version": "tiny", "labels": LABELS})
    return create_app({"TESTING": True, "MAX_TEXTS": 5, "MAX_TEXT_CHARS": 2000}, model=model)


CLIENT = app_with_tiny_model().test_client()


@pytest.mark.slow
@SETTINGS
@given(PROSE)
def test_segmentation_loses_and_duplicates_nothing(text):
    position = 0
    for start, end in sentence_spans(text):
        assert position <= start < end <= len(text)          # in order, no overlap
        assert text[position:start].strip() == ""            # only white space between
        assert text[start:end] == text[start:end].strip()    # edges trimmed
        position = end
    assert text[position:].strip() == ""                     # nothing lost at the end


@pytest.mark.slow
@SETTINGS
@given(PROSE)
def test_the_single_sentence_shortcut_agrees_with_pysbd(text):
    for line in text.split("\n"):
        if line.strip() and single_sentence(line):
            pieces = [p for p in _SEGMENTER.segment(line) if line[p.start:p.end].strip()]
            # pysbd sometimes splits closing punctuation off as a "sentence"; the
            # shortcut keeps it with its sentence, the only difference allowed
            assert all(set(line[p.start:p.end].strip()) <= set(_CLOSERS)
                       for p in pieces[1:]), pieces


@pytest.mark.slow
@SETTINGS
@given(st.lists(PROSE, min_size=1, max_size=3), st.booleans(), st.booleans())
def test_every_classified_sentence_points_back_into_its_text(texts, split, explain):
    response = CLIENT.post("/classify", json={"texts": texts, "split": split,
                                              "explain": explain})
    if any(not t.strip() or any("\ud800" <= c <= "\udfff" for c in t) for t in texts):
        assert response.status_code == 400        # blank, or a lone surrogate
        return
    assert response.status_code == 200
    for text, result in zip(texts, response.get_json()["results"]):
        counted = 0
        for sentence in result["sentences"]:
            assert text[sentence["start"]:sentence["end"]] == sentence["text"]
            counted += len(sentence["labels"]) or 1
        assert sum(result["summary"].values()) == counted


@pytest.mark.slow
@SETTINGS
@given(JSON)
def test_any_json_body_gets_a_clear_answer(body):
    response = CLIENT.post("/classify", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400, 422)
    if response.status_code != 200:
        error = response.get_json()["error"]
        assert error["code"] and error["message"]


@pytest.mark.slow
@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", ""]))
def test_any_bytes_get_a_4xx_or_an_answer_never_a_5xx(raw, content_type):
    response = CLIENT.post("/classify", data=raw, content_type=content_type)
    assert response.status_code < 500
    assert response.is_json
