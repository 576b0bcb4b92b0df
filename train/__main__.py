"""Command line: ``python -m train <command>``; ``python -m train --help`` lists them."""
import argparse
import json
import sys

from . import artifacts
from .agreement import agreement
from .corpus import corpus_files, load_corpus
from .evaluate import evaluate
from .labelset import DEFAULT_LABELS_FILE, load_labelset
from .records import read_labelled_file
from .split import DEFAULT_SEED, SPLIT_FILE, write_split
from .stats import corpus_stats
from .training import train_model
from .validate import MIN_PER_LABEL, validate_files


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


def cmd_train(args, labelset):
    """Train a new model version from the corpus and make it active (the default command)."""
    manifest = train_model(seed=args.seed, folds=args.folds, root=args.root,
                           labelset=labelset)
    _, markdown = evaluate(manifest["version"], root=args.root)
    print(markdown.split("\n## ")[0])
    return 0


def cmd_evaluate(args, labelset):
    """Evaluate a version (default: active) on the test split or on --data FILE."""
    _, markdown = evaluate(args.version, data=args.data, root=args.root)
    print(markdown)
    return 0


def build_parser():
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    parser.add_argument("--labels", default=DEFAULT_LABELS_FILE,
                        help="label set file (default: %(default)s)")
    parser.add_argument("--root", default=artifacts.DEFAULT_ROOT,
                        help="model versions directory (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    parser.add_argument("--folds", type=int, default=5, help="CV folds (default: 5)")
    parser.set_defaults(func=cmd_train)
    sub = parser.add_subparsers(dest="command", metavar="command")
    p = sub.add_parser("train", help=cmd_train.__doc__)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("evaluate", help=cmd_evaluate.__doc__)
    p.add_argument("version", nargs="?", help="version id (default: the active one)")
    p.add_argument("--data", help="a labelled .jsonl/.csv file instead of the test split")
    p.set_defaults(func=cmd_evaluate)
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
    p = sub.add_parser("agreement", help=cmd_agreement.__doc__)
    p.add_argument("relabelled", help="JSONL with 'id' and 'labels' per line")
    p.set_defaults(func=cmd_agreement)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        labelset = load_labelset(args.labels)
        return args.func(args, labelset)
    except (ValueError, artifacts.ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
