"""Command line: ``casus <command>`` (or ``python -m train <command>``); ``--help``
lists the commands."""
import argparse
import csv
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

from train.model import versions
from train.model.labelset import DEFAULT_LABELS_FILE, load_labelset
from train.pipeline.agreement import agreement
from train.pipeline.candidates import SHORT_NAMES, select_candidates
from train.pipeline.corpus import corpus_files, load_corpus
from train.pipeline.crossfit import (candidate_scores, check_conflicts, choice_record,
                                     cross_fitted, crossfit_markdown)
from train.pipeline.evaluate import evaluate
from train.pipeline.records import read_labelled_file
from train.pipeline.split import DEFAULT_SEED, SPLIT_FILE, write_split
from train.pipeline.stats import corpus_stats
from train.pipeline.validate import MIN_PER_LABEL, validate_files
from train.retraining.catalogue import format_models
from train.pipeline.training import USER_WEIGHT
from train.retraining.domain_eval import domain_eval, domain_markdown
from train.retraining.gate import MAX_LABEL_DROP, MIN_CORRECTIONS_KEPT, TOLERANCE
from train.retraining.intake import IntakeCheck
from train.retraining.jobs import (TrainingBusy, run_job, training_lock,
                                   workers_die_with_this_process)
from train.retraining.retrain import retrain
from train.retraining.store import (EXPORT_FIELDS, STORE_FILE, ExampleStore,
                                    data_dir_from_env)


def cmd_validate(args, labelset):
    """Check labelled files; exit 1 on errors, 0 when only warnings remain."""
    paths = args.paths or corpus_files()
    report = validate_files(paths, labelset, min_per_label=args.min_per_label)
    for problem in report.problems:
        if problem.level == "error" or not args.quiet:
            print(problem)
    print(report.summary(labelset))
    return 1 if report.errors else 0


def cmd_split(args, labelset):
    """Choose and freeze the held-out test split (once)."""
    examples = load_corpus(labelset=labelset)
    try:
        record = write_split(examples, labelset.ids, seed=args.split_seed)
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"test conflicts: {', '.join(record['test_conflicts'])}")
    print(f"test sentences: {len(record['test_ids'])} of {len(examples)} -> {SPLIT_FILE}")
    return 0


def cmd_stats(args, labelset):
    """Print the corpus statistics as Markdown."""
    print(corpus_stats(load_corpus(labelset=labelset), labelset.ids))
    return 0


def cmd_agreement(args, labelset):
    """Per-label kappa of a blind re-labelling (a file with id and labels) vs the corpus."""
    stored = {e.meta["id"]: set(e.labels) for e in load_corpus(labelset=labelset)}
    examples, problems = read_labelled_file(args.relabelled)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    relabelled = {e.meta.get("id"): set(e.labels) for e in examples}
    result = agreement(stored, relabelled, labelset.ids)
    print(json.dumps(result, indent=1))
    return 0


def _retrain(args, labelset, store):
    """A retrain closure with the command line's settings; it takes ``may_promote``."""
    # none named: training uses the model choice made on real text (train/data/model_choice.json)
    candidates = select_candidates(args.candidates.split(","), random_state=args.seed) \
        if args.candidates else None
    return lambda may_promote=None: retrain(
        store, root=args.root, labelset=labelset, seed=args.seed, folds=args.folds,
        candidates=candidates, force=args.force, tolerance=args.tolerance,
        max_label_drop=args.max_label_drop, may_promote=may_promote,
        user_weight=args.user_weight, min_corrections_kept=args.min_corrections_kept)


def cmd_retrain(args, labelset):
    """Train a new version on the corpus plus stored examples; the quality gate decides
    whether it becomes active (the default command)."""
    store = ExampleStore(args.data_dir)
    try:
        with training_lock(store), workers_die_with_this_process():
            result = _retrain(args, labelset, store)()
    except TrainingBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    version = result["candidate"]["version"]
    _, markdown = evaluate(version, root=args.root)
    print(markdown.split("\n## ")[0])
    print(f"{version}: {result['reason']} ({result['seconds']}s)")
    return 0 if result["promoted"] else 3


def cmd_job(args, labelset):
    """(internal) Run training job JOB for the service."""
    store = ExampleStore(args.data_dir)
    return run_job(store, args.job, _retrain(args, labelset, store), lock_fd=args.lock_fd,
                   parent_pid=args.parent_pid)


def cmd_add(args, labelset):
    """Add labelled examples (or corrections) from a .jsonl/.csv file to the store."""
    store = ExampleStore(args.data_dir)
    examples, problems = read_labelled_file(args.file)
    kind = "correction" if args.corrections else "example"
    intake = IntakeCheck(labelset, store).check(examples, kind=kind, problems=problems)
    store.add(intake.accepted, kind=kind, source=f"cli:{Path(args.file).name}",
              added_by=args.by)
    for problem in intake.rejected:
        print(f"rejected {problem.where}: {problem.message}")
    for problem in intake.warnings:
        print(f"warning {problem.where}: {problem.message}")
    print(f"{len(intake.accepted)} {kind}(s) accepted and stored in {store.path}; "
          f"{len(intake.skipped)} skipped (already stored with the same labels); "
          f"{len(intake.rejected)} rejected")
    return 1 if intake.rejected else 0


def cmd_export(args, labelset):
    """Write the stored examples and corrections still in use (JSONL or CSV; the CSV
    reads back with `add`)."""
    _, rows = ExampleStore(args.data_dir).rows()
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=[*EXPORT_FIELDS, "meta"])
            writer.writeheader()
            for row in rows:   # labels as `add` reads them from CSV: ids joined by ';'
                writer.writerow(dict(row, labels=";".join(row["labels"]) or "none",
                                     meta=json.dumps(row.get("meta", {}), ensure_ascii=False)))
        else:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if args.output:
            out.close()
    if args.output:
        print(f"{len(rows)} row(s) written to {args.output}", file=sys.stderr)
    return 0


def cmd_delete(args, labelset):
    """Delete (undo) stored example ID: training no longer uses it, an earlier reading of
    the same sentence is in use again, and the row is kept marked as deleted."""
    store = ExampleStore(args.data_dir)
    try:
        row = store.delete(args.id, deleted_by=args.by)
    except KeyError as exc:
        print(f"error: {exc.args[0]} (see `python -m train export`)", file=sys.stderr)
        return 1
    print(f"deleted {row['kind']} {row['id']}: {row['text'][:80]!r} "
          f"({', '.join(row['labels']) or 'none'})")
    return 0


def cmd_crossfit(args, labelset):
    """Cross-fitted figures on a file of real labelled sentences: candidates trained on
    the corpus; candidate and threshold shifts chosen on one half of its conflicts and
    measured on the other, both ways."""
    real, problems = read_labelled_file(args.file)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        for problem in errors:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    check_conflicts(real)
    candidates = select_candidates([c for c in args.candidates.split(",") if c],
                                   random_state=args.seed)
    by_candidate = candidate_scores(candidates, load_corpus(labelset=labelset), real,
                                    labelset, folds=args.folds)
    result = cross_fitted(by_candidate, real, list(labelset.ids), seed=args.split_seed)
    print(crossfit_markdown(result, list(labelset.ids)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.choice:
        record = choice_record(result, args.file, versions.file_sha256(args.file))
        Path(args.choice).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"\nchoice written to {args.choice}: training uses it from the next version")
    return 0


def cmd_domain_eval(args, labelset):
    """How much your labelled sentences help on your own text: k-fold over FILE, each
    fold trained on the corpus plus the other folds and scored on the held-out one,
    beside the corpus-only model, with a learning curve."""
    examples, problems = read_labelled_file(args.file)
    errors = [p for p in problems if p.level == "error"]
    unknown = sorted({label for e in examples for label in e.labels} - set(labelset.ids))
    if unknown:
        errors.append(f"{args.file}: unknown label(s) {', '.join(unknown)}; the label set "
                      f"has {', '.join(labelset.ids)}")
    if len(examples) < args.folds * 2:
        errors.append(f"{args.file}: {len(examples)} usable rows; {args.folds} folds need at "
                      f"least {args.folds * 2}")
    if errors:
        for problem in errors:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    names = [c for c in args.candidates.split(",") if c]
    if len(names) > 1:
        print("error: domain-eval measures one candidate; name one with --candidates",
              file=sys.stderr)
        return 1
    report = domain_eval(examples, labelset, folds=args.folds, user_weight=args.user_weight,
                         seed=args.seed, candidate=names[0] if names else None)
    print(domain_markdown(report, list(labelset.ids)))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


def cmd_classify(args, labelset):
    """Classify collections: JSONL, CSV/TSV, Parquet or text files (gzipped or not, a
    directory or a glob) into one JSONL, CSV or Parquet file, on every core or a Dask
    cluster."""
    from train.batch.inputs import Columns
    from train.batch.run import classify_collection
    from train.batch.work import Options
    summary = classify_collection(
        args.inputs, args.output,
        columns=Columns(text=args.text_column, id=args.id_column, delimiter=args.delimiter),
        options=Options(unit=args.unit, split=not args.no_split, max_chars=args.max_chars),
        workers=args.workers, dask=args.dask, resume=args.resume, root=args.root,
        version=args.version, progress=args.progress)
    print(f"{summary['documents']:,} documents, {summary['sentences']:,} sentences in "
          f"{summary['seconds']:,} s ({summary['sentences_per_second'] or 0:,} sentences/s) "
          f"-> {summary['output']}; {summary['errors']:,} bad row(s)"
          + (f" listed in {summary['errors_file']}" if summary["errors"] else ""))
    return 0


def cmd_models(args, labelset):
    """List model versions with their test figures; the active one is marked."""
    print(format_models(args.root))
    return 0


def cmd_activate(args, labelset):
    """Make VERSION the active one (rollback or roll forward; no gate)."""
    versions.verify_version(args.version, args.root)
    versions.set_active(args.version, args.root, reason="activated from the command line")
    print(f"active: {args.version}")
    return 0


def cmd_seal(args, labelset):
    """Hash the manifest of VERSION, written before manifests were hashed, once its model
    files check out against it (you vouch for its thresholds and labels)."""
    digest = versions.seal_version(args.version, args.root)
    print(f"sealed: {args.version} (manifest SHA-256 {digest})")
    return 0


def cmd_evaluate(args, labelset):
    """Evaluate a version (default: active) on the test split or on --data FILE."""
    _, markdown = evaluate(args.version, data=args.data, root=args.root)
    print(markdown)
    return 0


def _gate_options(parser, defaults=True):
    def default(value):
        return value if defaults else argparse.SUPPRESS
    parser.add_argument("--force", action="store_true", default=default(False),
                        help="promote the new version even if the gate would refuse it")
    parser.add_argument("--tolerance", type=float, default=default(TOLERANCE),
                        help=f"largest macro-F1 fall still promoted (default: {TOLERANCE})")
    parser.add_argument("--max-label-drop", type=float, default=default(MAX_LABEL_DROP),
                        help="largest per-label F1 fall still promoted (default: "
                             f"{MAX_LABEL_DROP})")
    parser.add_argument("--min-corrections-kept", type=float,
                        default=default(MIN_CORRECTIONS_KEPT),
                        help="smallest share of stored corrections the new version must "
                             f"reproduce (default: {MIN_CORRECTIONS_KEPT})")


def _global_options(parser, defaults=True):
    """The options every command takes, before or after its name; on a command's own
    parser (``defaults=False``) an option left out keeps the value given before it."""
    def default(value):
        return value if defaults else argparse.SUPPRESS
    parser.add_argument("--labels", default=default(DEFAULT_LABELS_FILE),
                        help=f"label set file (default: {DEFAULT_LABELS_FILE})")
    # the service's own setting, so `activate` and `models` act on the directory it serves
    parser.add_argument("--root", default=default(os.environ.get("CASUS_MODEL_DIR",
                                                                versions.DEFAULT_ROOT)),
                        help="model versions directory (default: $CASUS_MODEL_DIR or "
                             f"{versions.DEFAULT_ROOT})")
    parser.add_argument("--seed", type=int, default=default(0),
                        help="training seed (default: 0)")
    parser.add_argument("--folds", type=int, default=default(5), help="CV folds (default: 5)")
    parser.add_argument("--data-dir", type=Path, default=default(data_dir_from_env()),
                        help="example store directory (default: $CASUS_DATA_DIR or "
                             f"{data_dir_from_env()})")
    parser.add_argument("--candidates", default=default(""),
                        help=f"comma-separated candidates to compare "
                             f"({', '.join(SHORT_NAMES)}; default: the one chosen on real text in "
                             "train/data/model_choice.json, or all without it)")
    parser.add_argument("--user-weight", type=_positive, default=default(USER_WEIGHT),
                        help="how many corpus sentences one stored example or correction "
                             f"weighs in training (default: {USER_WEIGHT}, chosen with "
                             "domain-eval; see the README)")
    _gate_options(parser, defaults)


def _positive(value):
    """A positive number for argparse."""
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {value}")
    return number


def _program_name():
    """``casus`` when run as the installed command, ``python -m train`` otherwise."""
    return "casus" if Path(sys.argv[0]).name == "casus" else "python -m train"


def build_parser():
    """The argument parser with one sub-command per task; the global options may come
    before or after the command's name."""
    parser = argparse.ArgumentParser(prog=_program_name(), description=__doc__)
    _global_options(parser)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    parser.set_defaults(func=cmd_retrain)
    sub = parser.add_subparsers(dest="command", metavar="command")
    real_add_parser = sub.add_parser

    def add_parser(name, **kwargs):
        return real_add_parser(name, parents=[common], **kwargs)
    sub.add_parser = add_parser
    p = sub.add_parser("retrain", help=cmd_retrain.__doc__)
    p.set_defaults(func=cmd_retrain)
    p = sub.add_parser("add", help=cmd_add.__doc__)
    p.add_argument("file", help="a .jsonl or .csv file with text and labels per row")
    p.add_argument("--corrections", action="store_true",
                   help="the rows correct known sentences (they may repeat them)")
    p.add_argument("--by", default=os.environ.get("USER"), help="who adds them")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("export", help=cmd_export.__doc__)
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("delete", help=cmd_delete.__doc__)
    p.add_argument("id", type=int, help="the row's id (from export or GET /examples)")
    p.add_argument("--by", default=os.environ.get("USER"), help="who deletes it")
    p.set_defaults(func=cmd_delete)
    sub.add_parser("models", help=cmd_models.__doc__).set_defaults(func=cmd_models)
    p = sub.add_parser("activate", help=cmd_activate.__doc__)
    p.add_argument("version")
    p.set_defaults(func=cmd_activate)
    p = sub.add_parser("seal", help=cmd_seal.__doc__)
    p.add_argument("version")
    p.set_defaults(func=cmd_seal)
    p = sub.add_parser("job", help=cmd_job.__doc__)
    p.add_argument("job")
    p.add_argument("--lock-fd", type=int, default=None)
    p.add_argument("--parent-pid", type=int, default=None)
    p.set_defaults(func=cmd_job)
    p = sub.add_parser("evaluate", help=cmd_evaluate.__doc__)
    p.add_argument("version", nargs="?", help="version id (default: the active one)")
    p.add_argument("--data", help="a labelled .jsonl/.csv file instead of the test split")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("crossfit", help=cmd_crossfit.__doc__)
    p.add_argument("file", help="a labelled .jsonl/.csv file of real sentences with a "
                                "'conflict' field")
    p.add_argument("--json", help="also write the figures to this JSON file")
    p.add_argument("--choice", help="write the choice made on the whole file here (training "
                                    "reads train/data/model_choice.json)")
    p.add_argument("--split-seed", type=int, default=0, dest="split_seed",
                   help="seed of the split into conflict halves (default: 0)")
    p.set_defaults(func=cmd_crossfit)
    p = sub.add_parser("validate", help=cmd_validate.__doc__)
    p.add_argument("paths", nargs="*", help=".jsonl or .csv files (default: the corpus)")
    p.add_argument("--min-per-label", type=int, default=MIN_PER_LABEL,
                   help="warn below this many examples of a label (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="print errors only, not warnings")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("split", help=cmd_split.__doc__)
    p.add_argument("--split-seed", type=int, default=DEFAULT_SEED, dest="split_seed")
    p.set_defaults(func=cmd_split)
    sub.add_parser("stats", help=cmd_stats.__doc__).set_defaults(func=cmd_stats)
    p = sub.add_parser("classify", help=cmd_classify.__doc__)
    p.add_argument("inputs", nargs="+", help="files, directories or glob patterns")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .jsonl, .csv or .parquet (.jsonl.gz, .csv.gz)")
    p.add_argument("--text-column", default="text", help="column with the text (default: "
                                                           "text)")
    p.add_argument("--id-column", help="column with each document's id (default: its row "
                                       "number in its file: the line for JSONL and text)")
    p.add_argument("--delimiter", help="CSV delimiter (default: ',' or a tab for .tsv)")
    p.add_argument("--unit", choices=("sentence", "document"), default="sentence",
                   help="one output row per sentence (default) or per document")
    p.add_argument("--no-split", action="store_true",
                   help="each text is one sentence already (no sentence splitting)")
    p.add_argument("--max-chars", type=int, default=100_000,
                   help="longer texts are reported as bad rows (default: 100000)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: the number of cores)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on the Dask scheduler at ADDRESS, or 'local' for a "
                        "LocalCluster of --workers processes")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of the same command")
    p.add_argument("--version", help="model version (default: the active one)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar (default: on a terminal; log lines otherwise)")
    p.set_defaults(func=cmd_classify)
    p = sub.add_parser("domain-eval", help=cmd_domain_eval.__doc__)
    p.add_argument("file", help="your labelled .jsonl/.csv file (a 'conflict' or 'group' "
                                "field groups the folds)")
    p.add_argument("--json", help="also write the report to this JSON file")
    p.set_defaults(func=cmd_domain_eval)
    p = sub.add_parser("agreement", help=cmd_agreement.__doc__)
    p.add_argument("relabelled", help="JSONL with 'id' and 'labels' per line")
    p.set_defaults(func=cmd_agreement)
    return parser


class _Progress(logging.StreamHandler):
    """Training and retraining progress as plain lines on whatever ``sys.stdout`` is when
    a line is written (a terminal, a job's log file, a test's capture)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _):
        pass


def _show_progress():
    """Send the ``casus`` loggers' INFO lines to stdout, once per process."""
    casus = logging.getLogger("casus")
    if not any(isinstance(h, _Progress) for h in casus.handlers):
        handler = _Progress()
        handler.setFormatter(logging.Formatter("%(message)s"))
        casus.addHandler(handler)
        casus.setLevel(logging.INFO)


def main(argv=None):
    """Run the command line; returns the exit code. Expected failures (a damaged store or
    model, a missing file) are one line on stderr saying what and where, not a traceback."""
    args = build_parser().parse_args(argv)
    _show_progress()
    try:
        labelset = load_labelset(args.labels)
        return args.func(args, labelset)
    except (ValueError, versions.ModelLoadError) as exc:   # InputError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
    except sqlite3.DatabaseError as exc:   # every sqlite3 error but misuse, a bug
        print(f"error: the example store {Path(args.data_dir) / STORE_FILE} cannot be used "
              f"({exc}); if it is damaged, move it aside (an empty store is created in its "
              "place) and restore it from a backup", file=sys.stderr)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
    return 1


def main_exit():
    """The ``casus`` command (installed by ``make``): ``main`` with its exit code."""
    sys.exit(main())


if __name__ == "__main__":
    main_exit()
