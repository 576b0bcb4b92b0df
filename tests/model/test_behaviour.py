"""Behavioural tests in the CheckList manner: minimum functionality, invariance, direction."""
import json
from pathlib import Path

import pytest

from train.model.labelset import NONE
from train.model.predict import predict

HERE = Path(__file__).parent
MFT = [json.loads(line) for line in (HERE / "minimum_functionality.jsonl").open()]

# Sentences with slots for two parties and a place; swapping the names must not change labels.
# Names the corpus never (or almost never) mentions: a new conflict's parties.
NAME_SETS = [
    {"A": "Tarvonia", "B": "Belmark", "P": "Ostra"},
    {"A": "Peru", "B": "Bolivia", "P": "Tacna"},
    {"A": "Zelvania", "B": "Orunia", "P": "Kessa"},
    {"A": "Paraguay", "B": "Chile", "P": "Arica"},
]
# Parties the training data does know, with a one-sided record in it.
SEEN_NAME_SETS = [
    {"A": "Armenia", "B": "Azerbaijan", "P": "Goris"},
    {"A": "Mali", "B": "Niger", "P": "Menaka"},
    {"A": "Kosovo", "B": "Serbia", "P": "Zvecan"},
]
SWAP_SENTENCES = [
    "{B} shelled the outskirts of {P} overnight, killing four civilians, {A}'s defence ministry said.",
    "{A} says its strikes near {P} were a necessary response to repeated attacks by {B}.",
    "{A} called on {B} to honour the ceasefire agreement signed last year and withdraw from {P}.",
    "The UN envoy urged {A} and {B} to return to talks and avoid any escalation around {P}.",
    "{A} is ready to meet {B} in Geneva next month without preconditions.",
    "The road from {P} to the capital was reopened on Sunday after repairs.",
    "{B}'s occupation of {P} is a flagrant violation of international law, {A}'s foreign minister said.",
    "Troops from {A} will repel any incursion by {B} towards {P}, the commander warned.",
]
LEGAL_PHRASE = ", in violation of the Geneva Conventions"
DIRECTIONAL_BASES = [
    "The militia detained dozens of aid workers at the checkpoint",
    "Their aircraft bombed the water treatment plant",
    "Soldiers forced families out of their homes near the river",
    "The convoy carrying food was turned back at the border",
    "Prisoners were held for weeks without access to their relatives",
]


@pytest.mark.parametrize("label", ["accusation", "self_defence", "legal_appeal",
                                   "negotiation", NONE])
def test_minimum_functionality(model, label):
    cases = [c for c in MFT if (label in c["labels"]) or (label == NONE and not c["labels"])]
    results = predict(model, [c["text"] for c in cases])
    if label == NONE:
        hits = [not r["labels"] for r in results]
    else:
        hits = [label in r["labels"] for r in results]
    # Measured: every label at 0.8 or more except accusation at 0.75 (two plain-verb
    # accusations missed); 0.75 is the bar so that any further loss fails.
    assert sum(hits) / len(hits) >= 0.75, [c["text"] for c, h in zip(cases, hits) if not h]


def _label_sets_and_spread(model, template, name_sets):
    results = predict(model, [template.format(**names) for names in name_sets])
    spread = max(max(r["scores"][label] for r in results) -
                 min(r["scores"][label] for r in results) for label in model.label_ids)
    return {tuple(r["labels"]) for r in results}, spread


def test_swapping_unseen_party_and_place_names_keeps_labels(model):
    """Names of a conflict the model has never seen must not carry stance."""
    for template in SWAP_SENTENCES:
        label_sets, spread = _label_sets_and_spread(model, template, NAME_SETS)
        assert len(label_sets) == 1, (template, label_sets)
        assert spread < 0.15, (template, spread)


def test_swapping_known_party_names_rarely_changes_labels(model):
    """Parties the corpus knows do pull scores a little (measured: accusation moves by up to
    0.25 for Armenia/Azerbaijan, flipping 2 of 8 sentences); more than that is a regression."""
    changed = [t for t in SWAP_SENTENCES
               if len(_label_sets_and_spread(model, t, NAME_SETS[:1] + SEEN_NAME_SETS)[0]) > 1]
    assert len(changed) <= 2, changed


def test_adding_a_geneva_conventions_violation_raises_legal_appeal(model):
    before = predict(model, [s + "." for s in DIRECTIONAL_BASES])
    after = predict(model, [s + LEGAL_PHRASE + "." for s in DIRECTIONAL_BASES])
    for b, a in zip(before, after):
        assert a["scores"]["legal_appeal"] > b["scores"]["legal_appeal"]
    assert sum("legal_appeal" in a["labels"] for a in after) >= 4


def test_explanations_name_terms_of_the_sentence(model):
    sentence = "We are ready to resume negotiations tomorrow and call for an immediate ceasefire."
    result = predict(model, [sentence], explain=True)[0]
    assert "negotiation" in result["labels"]
    terms = result["explanation"]["negotiation"]
    assert 1 <= len(terms) <= 5
    weights = [w for _, w in terms]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    for term, _ in terms:
        assert all(part in sentence.lower() for part in term.split())


ERROR_KINDS = [json.loads(line) for line in (HERE / "error_kinds.jsonl").open()]
#: Share of each kind's sentences the model must get right (a `none` sentence gets no
#: label; a labelled one gets at least its labels). The kinds are those of the error
#: analysis on real sentences (train/data/README.md); the sentences were written for
#: these tests. Bars: what the model measured when they were set, so that any loss fails
#: (the model before wave 5 got narration 7/10 and negated 0/4; after it, 9/10 and 3/4).
KIND_BARS = {"narration": 0.9, "perpetrator_named": 0.75, "one_clause": 0.75,
             "hedged_reported": 1.0, "negated": 0.75, "no_keyword": 1.0, "legal_words": 1.0,
             "register": 1.0}


@pytest.mark.parametrize("kind", sorted(KIND_BARS))
def test_the_kinds_of_error_seen_on_real_text(model, kind):
    cases = [c for c in ERROR_KINDS if c["kind"] == kind]
    results = predict(model, [c["text"] for c in cases])
    right = [(not r["labels"]) if not c["labels"] else set(c["labels"]) <= set(r["labels"])
             for c, r in zip(cases, results)]
    assert sum(right) / len(right) >= KIND_BARS[kind], \
        [(c["text"], r["labels"]) for c, r, ok in zip(cases, results, right) if not ok]
