"""`python -m train domain-eval`: the user's question "how much does my data help?",
answered by folds over their file, with and without it, and a learning curve."""
import json

import pytest

from train.__main__ import main
from train.pipeline.corpus import load_corpus
from train.pipeline.split import load_split, partition


@pytest.mark.slow
def test_domain_report_on_sentences_the_corpus_model_never_saw(tmp_path, capsys):
    # the frozen test split stands in for a user's domain: written by the project, never
    # trained on, and grouped by conflicts the training part does not have
    _, test = partition(load_corpus(), load_split())
    rows = [{"text": e.text, "labels": list(e.labels) or ["none"],
             "conflict": e.meta["conflict"]} for e in test[::6]]
    user = tmp_path / "mine.jsonl"
    user.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report_file = tmp_path / "report.json"
    assert main(["domain-eval", str(user), "--folds", "2", "--json", str(report_file)]) == 0
    out = capsys.readouterr().out
    assert f"# Domain report: {len(rows)} user sentences, 2 folds (conflict or group field)" \
        in out and "| corpus + user data |" in out
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert set(report) >= {"without", "with", "curve", "per_label", "test"}
    assert [c["share"] for c in report["curve"]] == [0.25, 0.5, 1.0]
    assert report["curve"][-1]["macro_f1"] == report["with"]
    assert report["curve"][-1]["user_rows"] == round(len(rows) / 2)
    assert set(report["per_label"]) == {"accusation", "self_defence", "legal_appeal",
                                        "negotiation", "none"}
    assert all(0 < v <= 1 for v in (report["without"], report["with"],
                                    report["test"]["without"], report["test"]["with"]))
    assert report["settings"]["user_weight"] == 10.0


def test_domain_eval_refuses_a_file_too_small_for_its_folds(tmp_path, capsys, write_jsonl):
    path = write_jsonl([{"text": "We are ready to talk.", "labels": ["negotiation"]}] * 3)
    assert main(["domain-eval", str(path), "--folds", "5"]) == 1
    assert "5 folds need at least 10" in capsys.readouterr().err
