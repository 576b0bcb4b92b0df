"""The frozen split holds out whole conflicts, reproducibly, and never overwrites itself."""
import pytest

from train.pipeline.records import Example
from train.pipeline.split import choose_test_conflicts, partition, write_split

LABELS = ("accusation", "negotiation")


def corpus():
    examples = []
    for c in range(12):
        for k in range(10 + c):
            labels = (LABELS[k % 2],) if k % 3 else ()
            examples.append(Example(text=f"s{c}-{k}", labels=labels, where="x",
                                    meta={"id": f"c{c}-{k}", "conflict": f"c{c}"}))
    return examples


def test_held_out_conflicts_are_whole_and_in_range():
    examples = corpus()
    held = choose_test_conflicts(examples, LABELS, seed=1, tries=500)
    share = sum(e.meta["conflict"] in held for e in examples) / len(examples)
    assert 0.15 <= share <= 0.20
    assert held == choose_test_conflicts(examples, LABELS, seed=1, tries=500)


def test_partition_keeps_held_conflicts_out_of_training(tmp_path):
    examples = corpus()
    record = write_split(examples, LABELS, seed=3, path=tmp_path / "split.json")
    late = Example(text="added later", labels=(), where="x",
                   meta={"id": "late", "conflict": record["test_conflicts"][0]})
    training, test = partition(examples + [late], record)
    assert {e.meta["conflict"] for e in training}.isdisjoint(record["test_conflicts"])
    assert sorted(e.meta["id"] for e in test) == record["test_ids"]
    assert late not in training and late not in test
    assert len(training) + len(test) == len(examples)


def test_split_file_is_never_overwritten(tmp_path):
    path = tmp_path / "split.json"
    write_split(corpus(), LABELS, path=path)
    with pytest.raises(FileExistsError):
        write_split(corpus(), LABELS, path=path)


def test_impossible_share_is_reported():
    one_conflict = [e for e in corpus() if e.meta["conflict"] == "c0"]
    with pytest.raises(ValueError, match="no set of whole conflicts"):
        choose_test_conflicts(one_conflict, LABELS, tries=50)
