"""Property tests: segmentation and request validation hold for any input.

Short in ``make test``; ``make fuzz`` raises the example counts (CASUS_FUZZ_EXAMPLES).
"""
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_model import LABELS, fit_tiny

from service import create_app
from train.model.segment import _BREAKS, _CLOSING, _TERMINAL, sentence_spans
from train.model.normalise import HYPHEN_BREAK
from train.pipeline.compile_serving import compile_model

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
    model = compile_model(pipeline, LABELS, {label: 0.3 for label in LABELS},
                          {"version": "tiny", "labels": LABELS})
    return create_app({"TESTING": True, "MAX_TEXTS": 5, "MAX_TEXT_CHARS": 2000}, model=model)


CLIENT = app_with_tiny_model().test_client()


#: Pieces that defeat sentence splitters: abbreviations, initials, runs of dots, digits
#: with dots, punctuation runs, quotation marks (nested, unbalanced), brackets, every
#: kind of line break and space, CJK stops.
TRAPS = st.sampled_from([
    "Mr.", "Dr.", "Gen.", "U.S.", "U.N.", "e.g.", "No.", "Art.", "para.", "vs.", "A.", "b.",
    "iv.", "1.", "12.3.", "1.5", "...", "…", ".", "..", "!?", "?!", "‽", "。", "！", "？",
    '"', "'", "“", "”", "‘", "’", "«", "»", "(", ")", "[", "]", "-", "•", ",", ";", ":",
    " ", "  ", "\t", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0c", "\u00a0",
    "\u3000", "a", "the", "The", "We", "said", "7", "2024", "é", "你"])
#: Adversarial text: a short run of traps (no spaces at all when it happens to contain
#: none), repeated into lines of up to 100,000 characters (the service's limit).
ADVERSARIAL = st.builds(lambda unit, times: ("".join(unit) * times)[:100_000],
                        st.lists(TRAPS, min_size=1, max_size=12),
                        st.integers(1, 5) | st.integers(100, 10_000))
#: The same, always a single line-or-so of 100,000 characters.
HUGE = st.lists(TRAPS, min_size=1, max_size=12).map(
    lambda unit: ("".join(unit) * (100_000 // len("".join(unit)) + 1))[:100_000])


def check_segmentation(text):
    """The segmentation properties: spans in order and not overlapping, trimmed, only
    white space between them, nothing but white space left out, no line break inside a
    span but one inside a word hyphenated across it, and two spans on one line split only after terminal punctuation (with any
    closing marks) or between CJK stops."""
    spans = sentence_spans(text)
    position = 0
    for start, end in spans:
        assert position <= start < end <= len(text)          # in order, no overlap
        assert text[position:start].strip() == ""            # only white space between
        assert text[start:end] == text[start:end].strip()    # edges trimmed
        inside = re.sub(HYPHEN_BREAK, "", text[start:end])   # a hyphenated word goes on
        assert not any(c in _BREAKS for c in inside)
        position = end
    assert text[position:].strip() == ""                     # nothing lost at the end
    for (start, end), (following, _) in zip(spans, spans[1:]):
        if not any(c in _BREAKS for c in text[end:following]):
            assert text[start:end].rstrip(_CLOSING)[-1:] in set(_TERMINAL), text[start:end]


@pytest.mark.slow
@SETTINGS
@given(PROSE)
def test_segmentation_loses_and_duplicates_nothing(text):
    check_segmentation(text)


@pytest.mark.slow
@SETTINGS
@given(ADVERSARIAL)
def test_segmentation_holds_on_adversarial_text(text):
    check_segmentation(text)


@pytest.mark.slow
@settings(SETTINGS, max_examples=max(1, EXAMPLES // 4))
@given(HUGE)
def test_segmentation_holds_on_huge_adversarial_texts(text):
    check_segmentation(text)


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
