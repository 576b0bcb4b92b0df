"""Evaluation of a saved version: on the frozen test split or on any labelled file.

Writes ``evaluation[-NAME].json`` and ``.md`` into the version directory and returns the
Markdown, which the command line prints.
"""
import json
from pathlib import Path

import numpy as np

from train.model import versions
from train.model.labelset import NONE, LabelSet
from train.model.predict import predict

from .baseline import keyword_predict
from .corpus import corpus_files, load_corpus
from .metrics import calibration, confusions, indicator, label_scores, worst_errors
from .split import load_split, partition


def evaluate(version=None, data=None, root=versions.DEFAULT_ROOT):
    """Evaluate ``version`` (default: active) on ``data`` (default: the test split)."""
    model = versions.load_model(version, root)
    labels = model.label_ids
    if data:
        examples = load_corpus([Path(data)], load_labelset_for(model))
        name = Path(data).stem
    else:
        _, examples = partition(load_corpus(corpus_files()), load_split())
        name = "test"
    texts = [e.text for e in examples]
    y = indicator([e.labels for e in examples], labels)
    results = predict(model, texts)
    scores = np.array([[r["scores"][label] for label in labels] for r in results])
    y_pred = indicator([r["labels"] for r in results], labels)
    report = {
        "version": model.version, "data": name, "n": len(texts),
        "model": label_scores(y, y_pred, labels),
        "keyword_baseline": label_scores(y, np.array(keyword_predict(texts, labels)), labels),
        "cross_validation": model.manifest["cv"]["out_of_fold"],
        "candidates": model.manifest["cv"]["comparison"],
        "calibration": calibration(y, scores, labels),
        "confusions": confusions(y, y_pred, labels),
        "worst_errors": worst_errors(texts, y, y_pred, scores, labels),
    }
    choice = model.manifest.get("threshold_choice") or {}
    if data and choice.get("chosen_on", {}).get("sha256") == versions.file_sha256(data):
        # README of ../shared/realdev: figures on the file a choice was made on are reported
        # cross-fitted only; these are in-sample and say so
        report["in_sample"] = ("this version's candidate and thresholds were chosen on this "
                               "file, so these figures are in-sample; the figure to report is "
                               "the cross-fitted one: "
                               f"{choice.get('cross_fitted', {}).get('mean_of_halves_macro_f1')}")
    stem = "evaluation" if name == "test" else f"evaluation-{name}"
    directory = Path(root) / model.version
    (directory / f"{stem}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    markdown = to_markdown(report, labels)
    if "in_sample" in report:
        markdown = f"**Warning: {report['in_sample']}.**\n\n{markdown}"
    (directory / f"{stem}.md").write_text(markdown, encoding="utf-8")
    return report, markdown


def load_labelset_for(model):
    """The label set a model was trained with, for validating evaluation data."""
    return LabelSet(ids=tuple(model.label_ids),
                    definitions=model.manifest.get("label_definitions", {}))


def _scores_table(named, labels):
    lines = ["| | " + " | ".join(f"{label} P/R/F1" for label in (*labels, NONE))
             + " | micro F1 | macro F1 | exact set |",
             "|---" * (len(labels) + 5) + "|"]
    for title, s in named:
        cells = [f"{s['per_label'][l]['precision']:.2f}/{s['per_label'][l]['recall']:.2f}/"
                 f"**{s['per_label'][l]['f1']:.3f}**" for l in (*labels, NONE)]
        lines.append(f"| {title} | " + " | ".join(cells) +
                     f" | {s['micro_f1']:.3f} | {s['macro_f1']:.3f} | "
                     f"{s['exact_set_accuracy']:.3f} |")
    return "\n".join(lines)


def to_markdown(report, labels):
    """The evaluation report as Markdown tables."""
    m = report["model"]
    out = [f"# Evaluation of {report['version']} on {report['data']} ({report['n']} sentences)",
           "", _scores_table([(f"model on {report['data']}", m),
                              (f"keyword baseline on {report['data']}",
                               report["keyword_baseline"]),
                              ("model, cross-validation (out of fold)",
                               report["cross_validation"])], labels),
           "", "Support on this data: " + ", ".join(
               f"{l} {m['per_label'][l]['support']}" for l in (*labels, NONE)) + ".",
           "", "## Candidates compared (grouped CV by conflict, tuned thresholds)", "",
           "| candidate | macro F1 | micro F1 | " + " | ".join(f"{l} F1" for l in labels)
           + " | mean Brier | seconds |", "|---" * (len(labels) + 5) + "|"]
    for c in report["candidates"]:
        out.append(f"| {c['name']} | {c['macro_f1']:.3f} | {c['micro_f1']:.3f} | " +
                   " | ".join(f"{c['per_label_f1'][l]:.3f}" for l in labels) +
                   f" | {np.mean(list(c['brier'].values())):.4f} | {c['seconds']} |")
    out += ["", "## Calibration on this data", "",
            "| label | Brier | reliability (bin: mean score -> observed rate, n) |",
            "|---|---|---|"]
    for label in labels:
        cal = report["calibration"][label]
        bins = "; ".join(f"{b['bin']}: {b['mean_score']:.2f}->{b['observed_rate']:.2f} "
                         f"({b['n']})" for b in cal["reliability"] if b["n"])
        out.append(f"| {label} | {cal['brier']:.4f} | {bins} |")
    names = [*labels, NONE]
    out += ["", "## Label confusions (rows: true, columns: predicted)", "",
            "| true \\ predicted | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for t in names:
        out.append(f"| {t} | " + " | ".join(str(report["confusions"][t][p]) for p in names)
                   + " |")
    out += ["", f"## The {len(report['worst_errors'])} worst errors", "",
            "| sentence | true | predicted | scores |", "|---|---|---|---|"]
    for e in report["worst_errors"]:
        scores = ", ".join(f"{k} {v:.2f}" for k, v in e["scores"].items())
        text = e["text"].replace("|", "\\|")
        out.append(f"| {text} | {', '.join(e['true'])} | {', '.join(e['predicted'])} | "
                   f"{scores} |")
    return "\n".join(out) + "\n"
