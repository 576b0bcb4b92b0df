"""Near-duplicate measure: catches rewrites with a swapped name, spares different sentences."""
import pytest

from train.pipeline.similarity import max_similarity_to, near_duplicate_pairs, near_duplicate_rate

BASE = "The foreign ministry said the shelling of Avdiivka was a deliberate attack on civilians."
SWAPPED = "The foreign ministry said the shelling of Kherson was a deliberate attack on civilians."
OTHER = "Both delegations agreed to meet again in Doha after the holiday."


def test_a_swapped_name_is_a_near_duplicate():
    pairs = near_duplicate_pairs([BASE, OTHER, SWAPPED])
    assert [(i, j) for i, j, _ in pairs] == [(0, 2)]
    assert 0.8 <= pairs[0][2] < 1.0


def test_case_and_spacing_do_not_hide_a_copy():
    pairs = near_duplicate_pairs([BASE, "  " + BASE.upper()])
    assert pairs and pairs[0][2] == pytest.approx(1.0)


def test_rate_counts_every_sentence_in_a_pair():
    assert near_duplicate_rate([BASE, OTHER, SWAPPED, "Short unrelated words here."]) == 0.5
    assert near_duplicate_rate([]) == 0.0


def test_chunking_gives_the_same_pairs():
    texts = [BASE, OTHER, SWAPPED, OTHER + " ", "Something else entirely, said the envoy."]
    assert near_duplicate_pairs(texts, chunk=2) == near_duplicate_pairs(texts, chunk=100)


def test_max_similarity_to_references():
    sims = max_similarity_to([SWAPPED, OTHER], [BASE])
    assert sims[0] >= 0.8 and sims[1] < 0.5


def test_texts_too_short_for_any_ngram_have_no_neighbours():
    # found by the API fuzzer: one-character examples made the vectoriser fail
    assert near_duplicate_pairs(["ß", "a", "ab"]) == []
    assert max_similarity_to(["x"], ["y", "zz"]).tolist() == [0.0]
