"""The forms real text takes (tokenised transcripts, entities, odd spaces, quotes, broken
words, bullets, capitals) score exactly as the plain sentence does, in training and
serving alike, because both go through ``normalise_text``."""
import pytest

from train.model.segment import sentence_spans
from train.model.normalise import NORMALISE_VERSION, normalise_text, text_key
from train.model.predict import predict
from train.pipeline.compile_serving import compile_model

PLAIN = "Russia's forces shelled the port, and we don't accept (in any form) the claim."

VARIANTS = {
    "tokenised punctuation and clitics":
        "Russia 's forces shelled the port , and we do n't accept ( in any form ) the claim .",
    "doubled quotes of tokenised corpora":
        "`` Russia's forces shelled the port, and we don't accept (in any form) the claim. ''",
    "curly quotes and apostrophes":
        "\u201cRussia\u2019s forces shelled the port, and we don\u2019t accept (in any form) "
        "the claim.\u201d",
    "HTML entities":
        "&quot;Russia&#8217;s forces shelled the port, and we don&#39;t accept (in any form) "
        "the claim.&quot;",
    "non-breaking, thin and zero-width spaces, soft hyphens":
        "Russia's\u00a0forces shel\u00adled the\u202fport, and we don't\u200b accept (in\u2009any "
        "form) the\ufeff claim.",
    "a word hyphenated across a line break":
        "Russia's forces shel-\nled the port, and we don't accept (in any form) the claim.",
    "a bullet":
        "\u2022 Russia's forces shelled the port, and we don't accept (in any form) the claim.",
    "an all-caps headline":
        "RUSSIA'S FORCES SHELLED THE PORT, AND WE DON'T ACCEPT (IN ANY FORM) THE CLAIM.",
}


def _plain(form):
    """The plain sentence the variant stands for (in straight quotes if it has quotes)."""
    return f'"{PLAIN}"' if "quote" in form or "entities" in form else PLAIN


@pytest.mark.parametrize("form", sorted(VARIANTS))
def test_each_form_normalises_to_the_plain_sentence(form):
    assert normalise_text(VARIANTS[form]).strip() == normalise_text(_plain(form))
    assert text_key(VARIANTS[form]) == text_key(_plain(form))


@pytest.mark.parametrize("form", sorted(VARIANTS))
def test_each_form_gets_the_plain_sentences_scores(form, tiny):
    model = compile_model(tiny.pipeline, tiny.labels, {label: 0.3 for label in tiny.labels},
                          {"version": "t"})
    plain, variant = predict(model, [_plain(form), VARIANTS[form]])
    assert variant["scores"] == plain["scores"]


def test_compounds_keep_their_hyphen_across_a_line_break():
    assert normalise_text("the right of self-\ndefence") == "the right of self-defence"
    assert normalise_text("a cease-\nfire") == "a cease-fire"
    assert normalise_text("the nego-\r\ntiations") == "the negotiations"


def test_a_line_ending_in_a_hyphen_before_a_capital_still_ends_the_line():
    assert normalise_text("Item one-\nItem two") == "item one-\nitem two"


def test_plain_text_is_only_lower_cased_with_digits_folded():
    text = "The Council adopted resolution 2334 (2016) on 23 December - by 14 votes."
    assert normalise_text(text) == text.lower().replace("2334", "0000").replace(
        "2016", "0000").replace("23", "00").replace("14", "00")


def test_the_segmenter_keeps_a_hyphenated_word_in_one_sentence():
    text = "The nego-\ntiations resumed today. They failed.\nNext-\nLine"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "The nego-\ntiations resumed today.", "They failed.", "Next-", "Line"]


#: What this NORMALISE_VERSION gives. A change to normalise_text that alters any of these
#: must bump NORMALISE_VERSION (models built before are then refused) and add a store
#: migration re-keying stored sentences, as migration 3 did.
GOLDEN = {
    "Russia \u2019s attack , officials said .": "russia's attack, officials said.",
    "do\u00a0n't": "don't",
    "&quot;Talks&quot; on the &notion , he said": '"talks" on the &notion, he said',
    "nego-\ntiations, self-\ndefence, nego\u00ad\ntiations, A4-\nsized": (
        "negotiations, self-defence, negotiations, a0- sized"),   # text_key folds spacing
    "`` Resolution 2334 ( 2016 ) ''": '"resolution 0000 (0000)"',
}


@pytest.mark.parametrize("text", sorted(GOLDEN))
def test_this_normalisation_version_gives_these_keys(text):
    assert NORMALISE_VERSION == 2
    assert text_key(text) == GOLDEN[text]


def test_html_entities_are_decoded_alone_whatever_else_the_sentence_holds():
    assert normalise_text("Talks on the &notion of peace.") == "talks on the &notion of peace."
    assert normalise_text("Talks on the &notion of peace , he said") == \
        "talks on the &notion of peace, he said"
    assert normalise_text("&amp;quot;") == "&quot;"                 # decoded once
