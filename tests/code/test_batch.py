"""`casus classify`: files in (JSONL, CSV, Parquet, text, gzip, directories, globs),
files out (read back by pyarrow without options, ids kept), bad rows reported with file
and line, partitions that give the same output however the work is cut or run, and
`--resume` after an interruption."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from train.__main__ import main
from train.batch import inputs, run
from train.batch.inputs import Columns
from train.batch.run import classify_collection, parts_dir_for
from train.batch.work import Options

DOCS = [{"doc": "a1", "text": "Their artillery shelled the market again. We call for talks.",
         "source": "wire"},
        {"doc": "a2", "text": "The weather was mild on Friday.", "source": "post"},
        {"doc": "a3", "text": "This breaches international law and the Charter.",
         "source": "un"}]


@pytest.fixture
def model_root(save_tiny):
    save_tiny("v1", active=True)
    return save_tiny.root


def write_jsonl(path, rows, opener=open):
    with opener(path, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(row if isinstance(row, str) else json.dumps(row) + "\n")
    return path


def classify(model_root, inputs_, output, **kwargs):
    kwargs.setdefault("columns", Columns(id="doc"))
    return classify_collection([str(p) for p in inputs_], str(output), root=model_root,
                               progress=False, **kwargs)


@pytest.mark.parametrize("suffix, read", [
    (".jsonl", lambda p: pajson.read_json(p)),
    (".csv", lambda p: pacsv.read_csv(p)),
    (".parquet", lambda p: pq.read_table(p))])
def test_outputs_read_back_without_options_with_ids_and_columns(model_root, tmp_path,
                                                                 suffix, read):
    source = write_jsonl(tmp_path / "in.jsonl", DOCS)
    summary = classify(model_root, [source], tmp_path / f"out{suffix}")
    table = read(tmp_path / f"out{suffix}").to_pylist()
    assert (summary["documents"], summary["sentences"], summary["errors"]) == (3, 4, 0)
    assert [(r["id"], r["sentence"], r["source"]) for r in table] == \
        [("a1", 0, "wire"), ("a1", 1, "wire"), ("a2", 0, "post"), ("a3", 0, "un")]
    first = table[0]
    assert first["text"] == DOCS[0]["text"][first["start"]:first["end"]]
    assert first["model_version"] == "v1" and "score_accusation" in first
    labels = first["labels"] if suffix != ".csv" else first["labels"].split(";")
    assert first["label"] in labels + ["none"]


def test_every_input_format_gives_the_same_rows(model_root, tmp_path):
    write_jsonl(tmp_path / "a.jsonl.gz", DOCS, opener=gzip.open)
    (tmp_path / "b.csv").write_text(
        "\ufeffdoc;text;source\n" + "".join(f'{d["doc"]};"{d["text"]}";{d["source"]}\n'
                                            for d in DOCS), encoding="utf-8")
    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist(DOCS), tmp_path / "c.parquet")
    with open(tmp_path / "c.parquet", "rb") as plain, gzip.open(tmp_path / "e.parquet.gz",
                                                                "wb") as packed:
        packed.write(plain.read())
    (tmp_path / "d.txt").write_text("".join(d["text"] + "\n" for d in DOCS),
                                    encoding="utf-8")
    outputs = {}
    for name, columns in [("a.jsonl.gz", Columns(id="doc")),
                          ("b.csv", Columns(id="doc", delimiter=";")),
                          ("c.parquet", Columns(id="doc")), ("d.txt", Columns()),
                          ("e.parquet.gz", Columns(id="doc"))]:
        classify(model_root, [tmp_path / name], tmp_path / f"{name}.out.jsonl",
                 columns=columns)
        rows = pajson.read_json(tmp_path / f"{name}.out.jsonl").to_pylist()
        outputs[name] = [(r["text"], r["labels"]) for r in rows]
        if name == "d.txt":
            assert [r["id"] for r in rows] == [1, 1, 2, 3]     # line numbers
        else:
            assert [r["id"] for r in rows] == ["a1", "a1", "a2", "a3"]
    assert len({json.dumps(v) for v in outputs.values()}) == 1


def test_a_directory_and_a_glob_name_each_row_with_its_file(model_root, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "one.jsonl", DOCS[:2])
    write_jsonl(folder / "two.jsonl", DOCS[2:])
    (folder / "notes.md").write_text("not an input")
    for given in ([folder], [f"{folder}/*.jsonl"]):
        classify(model_root, given, tmp_path / "out.jsonl")
        rows = pajson.read_json(tmp_path / "out.jsonl").to_pylist()
        assert [Path(r["file"]).name for r in rows] == ["one.jsonl"] * 3 + ["two.jsonl"]


def test_bad_rows_are_listed_with_file_and_line_and_the_run_goes_on(model_root, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join([
        json.dumps(DOCS[0]).encode() + b"\n", b"{not json\n",
        json.dumps({"doc": "x1", "body": "no text"}).encode() + b"\n",
        b'{"doc": "x2", "text": "caf\xe9"}\n',
        json.dumps({"doc": "x3", "text": "War! " * 30}).encode() + b"\n", b"\n",
        json.dumps({"text": "No id."}).encode() + b"\n",
        json.dumps(DOCS[1]).encode() + b"\n"]))
    summary = classify(model_root, [source], tmp_path / "out.jsonl",
                       options=Options(max_chars=100))
    assert (summary["documents"], summary["errors"]) == (2, 5)
    errors = [json.loads(line) for line in
              Path(summary["errors_file"]).read_text(encoding="utf-8").splitlines()]
    assert [(e["line"], e["file"] == str(source)) for e in errors] == \
        [(2, True), (3, True), (4, True), (5, True), (7, True)]
    reasons = " | ".join(e["reason"] for e in errors)
    for expected in ("invalid JSON", "no 'text'", "UTF-8", "at most 100", "no 'doc'"):
        assert expected in reasons
    ids = {r["id"] for r in pajson.read_json(tmp_path / "out.jsonl").to_pylist()}
    assert ids == {"a1", "a2"}


def test_document_unit_and_no_split(model_root, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", DOCS)
    classify(model_root, [source], tmp_path / "docs.jsonl", options=Options(unit="document"))
    rows = pajson.read_json(tmp_path / "docs.jsonl").to_pylist()
    assert [(r["id"], r["sentences"]) for r in rows] == [("a1", 2), ("a2", 1), ("a3", 1)]
    assert all(sum(r[f"count_{k}"] for k in ("accusation", "self_defence", "legal_appeal",
                                             "negotiation", "none")) >= r["sentences"]
               for r in rows)
    classify(model_root, [source], tmp_path / "whole.jsonl", options=Options(split=False))
    assert [r["text"] for r in pajson.read_json(tmp_path / "whole.jsonl").to_pylist()] == \
        [d["text"] for d in DOCS]


def many_docs(n):
    texts = ["Their artillery shelled the market again.", "We call for talks and a ceasefire.",
             "The ministers met on Friday.", "It violates international law."]
    return [{"doc": f"d{i}", "text": f"{texts[i % 4]} {texts[(i * 7) % 4]}", "n": i}
            for i in range(n)]


def test_many_partitions_on_two_processes_give_the_one_partition_output(
        model_root, tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", many_docs(3000))
    classify(model_root, [source], tmp_path / "one.jsonl", workers=1)
    monkeypatch.setattr(inputs, "PARTITION_BYTES", 20_000)
    partitions = inputs.plan_partitions([source], 20_000)
    assert len(partitions) > 5 and partitions[1].first_line > 1
    summary = classify(model_root, [source], tmp_path / "two.jsonl", workers=2)
    assert summary["partitions"] == len(partitions)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert not parts_dir_for(tmp_path / "two.jsonl").exists()


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_single_process_output(model_root, tmp_path,
                                                              monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", many_docs(3000))
    classify(model_root, [source], tmp_path / "one.parquet", workers=1)
    monkeypatch.setattr(inputs, "PARTITION_BYTES", 40_000)
    summary = classify(model_root, [source], tmp_path / "dask.parquet", workers=2,
                       dask="local")
    assert summary["partitions"] > 3 and summary["dask"] == "local"
    assert pq.read_table(tmp_path / "dask.parquet").equals(
        pq.read_table(tmp_path / "one.parquet"))


def test_resume_continues_from_the_last_completed_partition(model_root, tmp_path,
                                                            monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", many_docs(2000))
    monkeypatch.setattr(inputs, "PARTITION_BYTES", 20_000)
    classify(model_root, [source], tmp_path / "fresh.parquet")
    real, calls = run.process_partition, []

    def failing(model, partition, *args):
        calls.append(partition.index)
        if partition.index == 3:
            raise KeyboardInterrupt   # as Ctrl-C would, mid-run
        return real(model, partition, *args)
    monkeypatch.setattr(run, "process_partition", failing)
    output = tmp_path / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        classify(model_root, [source], output)
    assert not output.exists() and sorted(
        p.name for p in parts_dir_for(output).glob("part-*.json")) == \
        ["part-000000.json", "part-000001.json", "part-000002.json"]
    calls.clear()
    monkeypatch.setattr(run, "process_partition",
                        lambda model, partition, *a: calls.append(partition.index)
                        or real(model, partition, *a))
    summary = classify(model_root, [source], output, resume=True)
    assert summary["resumed_partitions"] == 3 and calls[0] == 3
    assert pq.read_table(output).equals(pq.read_table(tmp_path / "fresh.parquet"))


def test_the_casus_command_is_installed_and_runs_classify(model_root, tmp_path):
    casus = Path(sys.executable).parent / "casus"
    assert casus.is_file(), "make installs the project into .venv (pip install -e .)"
    source = write_jsonl(tmp_path / "in.jsonl", DOCS)
    done = subprocess.run([str(casus), "classify", str(source), "-o",
                           str(tmp_path / "out.csv"), "--id-column", "doc", "--root",
                           str(model_root), "--workers", "1"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "3 documents, 4 sentences" in done.stdout
    assert pacsv.read_csv(tmp_path / "out.csv").num_rows == 4


@pytest.mark.parametrize("argv, message", [
    (["classify", "nowhere.jsonl", "-o", "out.jsonl"], "no such file"),
    (["classify", "{source}", "-o", "out.xlsx"], "format of its extension"),
    (["classify", "{odd}", "-o", "out.jsonl"], "unsupported input type"),
    (["classify", "{source}", "-o", "out.jsonl", "--text-column", "body"], "no column 'body'")])
def test_a_run_that_cannot_start_says_why_in_one_line(model_root, tmp_path, capsys,
                                                      argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("text\nWe talk.\n")
    (tmp_path / "in.xlsx").write_text("x")
    argv = [a.format(source=tmp_path / "in.csv", odd=tmp_path / "in.xlsx") for a in argv]
    assert main(["--root", str(model_root), *argv, "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
