"""The validator: every check a user's labelled file goes through."""
import pytest

from train.__main__ import main
from train.pipeline.validate import validate_files

GOOD = [
    {"text": "Their artillery shelled the market in the old town again at dawn.",
     "labels": ["accusation"]},
    {"text": "We are ready to meet tomorrow in Geneva, with no preconditions at all.",
     "labels": ["negotiation"]},
    {"text": "The region has a population of roughly 150,000 people.", "labels": []},
]


def messages(report, level=None):
    return [str(p) for p in report.problems if level in (None, p.level)]


def test_clean_file_has_no_problems_and_counts_labels(write_jsonl, labelset):
    report = validate_files([write_jsonl(GOOD)], labelset, min_per_label=1)
    assert report.errors == []
    assert report.label_counts["accusation"] == 1
    assert report.label_counts["none"] == 1
    assert len(report.examples) == 3


@pytest.mark.parametrize("line, expected", [
    ("{not json", "invalid JSON"),
    ('["a list"]', "must be a JSON object"),
    ('{"labels": []}', "'text' is missing"),
    ('{"text": 5, "labels": []}', "'text' is missing or not a string"),
    ('{"text": "A sentence about talks.", "labels": "negotiation"}', "must be a list"),
    ('{"text": "A sentence about talks.", "labels": [], "conflict": 3}', "must be strings"),
])
def test_schema_errors_name_file_and_line(write_jsonl, labelset, line, expected):
    path = write_jsonl([GOOD[0], line])
    report = validate_files([path], labelset)
    errors = messages(report, "error")
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:2: error:")
    assert expected in errors[0]


def test_unknown_label_suggests_the_closest(write_jsonl, labelset):
    rows = [{"text": "We had every right to strike back at the launch sites.",
             "labels": ["self-defense"]}]
    errors = messages(validate_files([write_jsonl(rows)], labelset), "error")
    assert any("unknown label 'self-defense'; did you mean 'self_defence'?" in e for e in errors)


def test_unknown_label_without_close_match_lists_known(write_jsonl, labelset):
    rows = [{"text": "The weather in the capital was mild on Sunday.", "labels": ["xyz"]}]
    errors = messages(validate_files([write_jsonl(rows)], labelset), "error")
    assert "did you mean" not in errors[0] and "known: accusation" in errors[0]


def test_none_alone_means_no_label_but_not_with_others(write_jsonl, labelset):
    rows = [{"text": "The ministers met in Geneva on Friday.", "labels": ["none"]},
            {"text": "They shelled the town and we answered.", "labels": ["none", "accusation"]}]
    report = validate_files([write_jsonl(rows)], labelset)
    assert report.examples[0].labels == ()
    assert "cannot be combined" in messages(report, "error")[0]


@pytest.mark.parametrize("text, expected", [
    ("", "empty or whitespace"),
    ("   \t ", "empty or whitespace"),
    ("word " * 500, "characters (at most 2000)"),
])
def test_empty_and_overlong_text(write_jsonl, labelset, text, expected):
    errors = messages(validate_files([write_jsonl([{"text": text, "labels": []}])], labelset),
                      "error")
    assert expected in errors[0]


def test_exact_duplicate_and_conflicting_labels_across_files(write_jsonl, labelset):
    first = write_jsonl(GOOD, "a.jsonl")
    second = write_jsonl([
        {"text": "  their artillery shelled the market in the old town again at dawn. ",
         "labels": ["accusation"]},
        {"text": "The region has a population of roughly 150,000 people.",
         "labels": ["legal_appeal"]},
    ], "b.jsonl")
    errors = messages(validate_files([first, second], labelset), "error")
    assert f"{second}:1: error: exact duplicate of {first}:1" in errors
    assert any(e.startswith(f"{second}:2") and "conflicting labels [legal_appeal] vs [none]"
               in e for e in errors)


def test_near_duplicate_is_a_warning_with_both_places(write_jsonl, labelset):
    rows = GOOD + [{"text": "Their artillery shelled the market in the old city again at dawn.",
                    "labels": ["accusation"]}]
    path = write_jsonl(rows)
    report = validate_files([path], labelset, min_per_label=0)
    assert report.errors == []
    warnings = messages(report, "warning")
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{path}:4: warning: near-duplicate of {path}:1 (cosine 0.")
    assert report.near_duplicate_rate == pytest.approx(2 / 4)


def test_repeated_id_is_an_error(write_jsonl, labelset):
    rows = [dict(GOOD[0], id="x-1"), dict(GOOD[1], id="x-1")]
    errors = messages(validate_files([write_jsonl(rows)], labelset), "error")
    assert any("id 'x-1' already used" in e for e in errors)


def test_too_few_examples_per_label_warns(write_jsonl, labelset):
    report = validate_files([write_jsonl(GOOD)], labelset, min_per_label=2)
    warnings = messages(report, "warning")
    assert any("label 'self_defence' has 0 example(s)" in w for w in warnings)
    assert any("label 'accusation' has 1 example(s)" in w for w in warnings)


def test_csv_with_semicolon_labels(tmp_path, labelset):
    path = tmp_path / "data.csv"
    path.write_text('text,labels,source\n'
                    '"They broke the truce, in breach of the accord.",accusation; legal_appeal,me\n'
                    'The ministers met in Geneva on Friday.,,me\n'
                    'A bad row.,negotation,me\n', encoding="utf-8")
    report = validate_files([path], labelset)
    assert report.examples[0].labels == ("accusation", "legal_appeal")
    assert report.examples[1].labels == ()
    errors = messages(report, "error")
    assert errors == [f"{path}:4: error: unknown label 'negotation'; did you mean "
                      f"'negotiation'? (known: accusation, self_defence, legal_appeal, "
                      f"negotiation)"]


def test_csv_without_required_columns(tmp_path, labelset):
    path = tmp_path / "data.csv"
    path.write_text("sentence,label\nHello there world,none\n", encoding="utf-8")
    errors = messages(validate_files([path], labelset), "error")
    assert errors == [f"{path}:1: error: CSV header lacks column(s) labels, text (found "
                      "'sentence', 'label'; 'label': did you mean 'labels'?)"]


def test_non_utf8_file_is_located(tmp_path, labelset):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"text": "fine line here", "labels": []}\n'
                     b'{"text": "caf\xe9 talks", "labels": []}\n')
    errors = messages(validate_files([path], labelset), "error")
    assert errors == [f"{path}:2: error: not valid UTF-8 text"]


def test_missing_file_is_an_error(tmp_path, labelset):
    errors = messages(validate_files([tmp_path / "nope.jsonl"], labelset), "error")
    assert "cannot read file" in errors[0]


def test_cli_exit_codes(write_jsonl, capsys):
    good = write_jsonl(GOOD, "good.jsonl")
    assert main(["validate", str(good)]) == 0      # warnings only (few examples per label)
    out = capsys.readouterr().out
    assert "warning" in out and "0 error(s)" in out
    bad = write_jsonl([{"text": "", "labels": []}], "bad.jsonl")
    assert main(["validate", str(bad)]) == 1
    assert f"{bad}:1: error: text is empty" in capsys.readouterr().out


def test_cli_reports_a_broken_label_file(write_jsonl, tmp_path, capsys):
    labels = tmp_path / "labels.json"
    labels.write_text('{"labels": [{"id": "a"}, {"id": "a"}]}', encoding="utf-8")
    assert main(["--labels", str(labels), "validate", str(write_jsonl(GOOD))]) == 1
    assert "must be unique" in capsys.readouterr().err


def test_other_label_sets_are_read_from_their_file(write_jsonl, tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text('{"labels": [{"id": "threat"}, {"id": "apology"}]}', encoding="utf-8")
    path = write_jsonl([{"text": "We deeply regret the loss of life.", "labels": ["apology"]}])
    assert main(["--labels", str(labels), "validate", "--min-per-label", "0", str(path)]) == 0
