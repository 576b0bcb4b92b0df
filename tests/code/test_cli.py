"""`python -m train` on damaged or missing files: one clear line on stderr (what is
wrong, which file, what to do) and a non-zero exit, never a traceback."""
import subprocess
import sys
from pathlib import Path

import pytest

from train.__main__ import main
from train.model import versions
from train.retraining.store import ExampleStore

ROOT = Path(__file__).resolve().parents[2]
GARBAGE = bytes(range(256)) * 64


@pytest.fixture
def damaged_store(tmp_path):
    """A data directory whose store file is garbage bytes."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "casus.sqlite3").write_bytes(GARBAGE)
    return data


def test_add_on_a_damaged_store_says_so_in_one_line(damaged_store, write_jsonl):
    rows = write_jsonl([{"text": "We call for talks.", "labels": ["negotiation"]}])
    done = subprocess.run([sys.executable, "-m", "train", "--data-dir", str(damaged_store),
                           "add", str(rows)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(damaged_store / "casus.sqlite3") in lines[0]
    assert "move it aside" in lines[0] and lines[0].startswith("error: ")
    assert (damaged_store / "casus.sqlite3").read_bytes() == GARBAGE   # left as found


def run(capsys, *argv):
    """``main(argv)``'s exit code and stderr; an uncaught exception fails the test."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", [["job", "abc123"], ["--folds", "2"], ["retrain"]])
def test_every_command_using_the_store_says_it_is_damaged(capsys, damaged_store, command):
    code, err = run(capsys, "--data-dir", damaged_store, *command)
    assert code == 1 and "move it aside" in err
    assert str(damaged_store / "casus.sqlite3") in err


def test_an_unusable_data_directory_is_named(capsys, tmp_path, write_jsonl):
    (tmp_path / "a-file").write_text("")
    code, err = run(capsys, "--data-dir", tmp_path / "a-file" / "data", "add",
                    write_jsonl([{"text": "Talks.", "labels": []}]))
    assert code == 1 and err.startswith("error: ") and "a-file" in err


def test_a_missing_file_to_add_is_a_rejection_not_a_crash(capsys, tmp_path):
    code = main(["--data-dir", str(tmp_path / "data"), "add", str(tmp_path / "nope.jsonl")])
    assert code == 1 and "nope.jsonl" in capsys.readouterr().out


def test_models_lists_a_damaged_model_directory(capsys, save_tiny):
    root = save_tiny.root
    save_tiny("v1", active=True)
    (save_tiny("v2") / versions.MANIFEST_FILE).write_bytes(GARBAGE)
    (save_tiny("v3") / "gate.json").write_text('{"candidate": "x", "promoted": 3}')
    (save_tiny("v4") / "evaluation.json").write_text('{"model": []}')
    (root / versions.ACTIVE_FILE).write_bytes(GARBAGE[:40])
    code = main(["--root", str(root), "models"])
    out = capsys.readouterr().out
    assert code == 0
    assert "v2" in out and "unreadable" in out and "ACTIVE" in out and "not a version name" in out


@pytest.mark.parametrize("make", ["missing root", "garbage manifest", "edited manifest",
                                  "outside name"])
def test_activate_refuses_with_one_line(capsys, save_tiny, tmp_path, make):
    root = save_tiny.root
    version = "v2"
    if make == "missing root":
        root = tmp_path / "no-such-dir"
    elif make == "garbage manifest":
        (save_tiny("v2") / versions.MANIFEST_FILE).write_bytes(GARBAGE)
    elif make == "edited manifest":
        path = save_tiny("v2") / versions.MANIFEST_FILE
        path.write_text(path.read_text().replace('"accusation": 0.3', '"accusation": 0.01'))
    else:
        version = "../v2"
    code, err = run(capsys, "--root", root, "activate", version)
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert versions.active_version(root) is None


def test_evaluate_with_a_damaged_active_pointer_says_what_to_do(capsys, save_tiny):
    save_tiny("v1", active=True)
    (save_tiny.root / versions.ACTIVE_FILE).write_text("../../etc\n")
    code, err = run(capsys, "--root", save_tiny.root, "evaluate")
    assert code == 1 and "ACTIVE" in err and "python -m train activate" in err


def test_the_model_directory_defaults_to_the_services_setting(capsys, save_tiny,
                                                               monkeypatch):
    save_tiny("v1", active=True)
    save_tiny("v2", active=True)
    monkeypatch.setenv("CASUS_MODEL_DIR", str(save_tiny.root))
    assert main(["activate", "v1"]) == 0
    assert versions.active_version(save_tiny.root) == "v1"


def test_adding_a_file_twice_skips_its_rows_and_succeeds(capsys, tmp_path, write_jsonl):
    rows = write_jsonl([{"text": "The envoy will meet both delegations in Doha on Friday.",
                         "labels": ["negotiation"]},
                        {"text": "Shells fell on the market, witnesses said.", "labels": []}])
    data = tmp_path / "data"
    assert main(["add", str(rows), "--data-dir", str(data)]) == 0   # option after command
    assert "2 example(s) accepted" in capsys.readouterr().out
    assert main(["add", str(rows), "--data-dir", str(data)]) == 0
    assert "0 example(s) accepted" in (out := capsys.readouterr().out) and "2 skipped" in out
    assert ExampleStore(data).counts() == {"example": 2, "correction": 0}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_reads_back_with_add_and_delete_undoes(capsys, tmp_path, write_jsonl, fmt):
    data, again = tmp_path / "data", tmp_path / "again"
    rows = [{"text": "Our batteries answered only after theirs had fired on the posts.",
             "labels": ["self_defence", "accusation"], "conflict": "c1"},
            {"text": "The court will rule on the complaint next year.", "labels": []}]
    assert main(["--data-dir", str(data), "add", str(write_jsonl(rows))]) == 0
    exported = tmp_path / f"out.{fmt}"
    assert main(["export", "--format", fmt, "-o", str(exported), "--data-dir", str(data)]) == 0
    assert main(["add", str(exported), "--data-dir", str(again)]) == 0
    assert sorted((e.text, e.labels) for e in ExampleStore(again).training_examples()) == \
        sorted((r["text"], tuple(r["labels"])) for r in rows)
    capsys.readouterr()
    assert main(["delete", "1", "--data-dir", str(data), "--by", "ana"]) == 0
    assert "deleted example 1" in capsys.readouterr().out
    assert [e.text for e in ExampleStore(data).training_examples()] == [rows[1]["text"]]
    code, err = run(capsys, "delete", "1", "--data-dir", data)
    assert code == 1 and "already deleted" in err
    code, err = run(capsys, "delete", "7", "--data-dir", data)
    assert code == 1 and "no stored example with id 7" in err


@pytest.mark.parametrize("name, content, message", [
    ("rows.tsv", "text\tlabels\nWe talk.\tnegotiation\n", "unsupported file type '.tsv'"),
    ("rows.jsonl", '{"text": "We talk.", "label": ["negotiation"]}\n',
     "no 'labels' field; found 'label': did you mean 'labels'?"),
    ("rows.csv", "text,label\nWe talk.,negotiation\n", "'label': did you mean 'labels'?")])
def test_a_file_add_cannot_read_is_explained(capsys, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["add", str(path), "--data-dir", str(tmp_path / "data")]) == 1
    assert message in capsys.readouterr().out


def test_an_unknown_version_lists_the_known_ones(capsys, save_tiny):
    save_tiny("v1", active=True)
    save_tiny("v2")
    code, err = run(capsys, "--root", save_tiny.root, "activate", "v9")
    assert code == 1 and "no model version 'v9'" in err and "known versions: v1, v2" in err
