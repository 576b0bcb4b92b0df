"""Choose the sentence splitter by measurement: accuracy on the tricky cases of
``tests/code/segmentation_cases.jsonl``, speed on prose and on adversarial text, and its
cost next to prediction (in process and over HTTP).

Usage: .venv/bin/python bench/segmenters.py [-v] [--full] [--model] [--http S] [--ratios]

  -v        list the cases each splitter gets wrong
  --full    time every splitter on the full 100,000-character adversarial texts (pysbd
            alone then takes about ten minutes); without it a splitter slower than 0.1 s
            on 10,000 characters is timed on 20,000 and given a lower bound (marked >=)
  --model   segmentation against ``train.model.predict.predict`` on 100-sentence documents of
            corpus sentences (needs the active model)
  --http S  requests/s for 100-sentence documents sent with split against the same
            sentences pre-split, on the real server (bench/loadgen.served), best of
            three alternating runs of S seconds each
  --ratios  skip the comparison (only --model and --http figures)

The service needs none of the libraries compared; to compare them:
  .venv/bin/pip install blingfire==0.1.8 nupunkt==0.8.0 sentencex==1.0.32 syntok==1.4.4
(missing ones are skipped). Every library is run line by line, as the service does, so
headings and list items never merge with their neighbours.
"""
import json
import math
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from train.model.segment import sentence_spans  # noqa: E402

CASES = [json.loads(line) for line in
         (ROOT / "tests/code/segmentation_cases.jsonl").open(encoding="utf-8")]
#: The cases the previous choice (pysbd) was measured on; the first two quotation cases
#: now expect a sentence inside quotation marks to be split (the new quotation rule).
FIRST_CASES = 41


def _trim(text, spans):
    """Spans without surrounding white space, empty ones dropped."""
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def by_lines(split):
    """A splitter of whole texts from one of lines (``split(line) -> spans``)."""
    def run(text):
        return [(line.start() + s, line.start() + e)
                for line in re.finditer(r"[^\n]+", text)
                for s, e in _trim(line.group(0), split(line.group(0)))]
    return run


def candidates():
    """``{name: text -> spans}`` for every splitter installed here."""
    found = {"casus rules": sentence_spans}
    try:
        import pysbd
        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        sure_end = re.compile(r"(?<=[a-z]{4}[.!?])\s+(?=[A-Z])")

        def pysbd_before(line):
            # as the service ran it: lines over 4,000 characters cut at sure ends first
            pieces, start = [], 0
            if len(line) > 4000:
                for match in sure_end.finditer(line):
                    if match.start() - start >= 2000:
                        pieces.append((start, line[start:match.start()]))
                        start = match.end()
            pieces.append((start, line[start:]))
            return [(o + p.start, o + p.end) for o, piece in pieces
                    for p in segmenter.segment(piece)]
        found["pysbd (before)"] = by_lines(pysbd_before)
    except ImportError:
        pass
    try:
        import blingfire
        found["blingfire"] = by_lines(lambda line: blingfire.text_to_sentences_and_offsets(
            line)[1] if line.strip() else [])
    except ImportError:
        pass
    try:
        import nupunkt
        found["nupunkt"] = by_lines(nupunkt.sent_spans)
    except ImportError:
        pass
    try:
        import sentencex
        found["sentencex"] = by_lines(lambda line: [
            (b["start_index"], b["end_index"])
            for b in sentencex.get_sentence_boundaries("en", line)])
    except ImportError:
        pass
    try:
        import syntok.segmenter as syn
        found["syntok"] = by_lines(lambda line: [
            (s[0].offset, s[-1].offset + len(s[-1].value))
            for para in syn.analyze(line) for s in para])
    except ImportError:
        pass
    return found


def accuracy(split, cases, verbose=False):
    """Exact cases, and boundary precision, recall and F1 (sentence ends)."""
    exact = tp = fp = fn = 0
    for case in cases:
        text = case["text"]
        spans = _trim(text, split(text))
        got = [text[s:e] for s, e in spans]
        if got == case["sentences"]:
            exact += 1
        elif verbose:
            print(f"      want {case['sentences']}\n      got  {got}")
        ends, position = set(), 0
        for sentence in case["sentences"]:
            position = text.index(sentence, position) + len(sentence)
            ends.add(position)
        found = {e for _, e in spans}
        tp, fp, fn = tp + len(found & ends), fp + len(found - ends), fn + len(ends - found)
    p, r = tp / (tp + fp), tp / (tp + fn)
    return exact, 2 * p * r / (p + r)


def corpus_sentences(count, seed=0):
    """``count`` corpus sentences (train/data/*.jsonl), sampled with a fixed seed."""
    paths = sorted((ROOT / "train/data").glob("*.jsonl"))
    texts = [json.loads(line)["text"]
             for path in paths for line in path.open(encoding="utf-8")]
    return random.Random(seed).choices(texts, k=count)


def adversarial():
    """``{name: function(size) -> text}``: the three texts of issue 11 and other inputs
    built to defeat a splitter (all about 100,000 characters at full size)."""
    def repeat(unit):
        return lambda size: (unit * (size // len(unit) + 1))[:size]
    prose = " ".join(corpus_sentences(2000, seed=1))
    return {
        '"ab. " * 25000 (issue 11)': repeat("ab. "),
        '"1.2.3!?" * 14000 (issue 11)': repeat("1.2.3!?"),
        '"Mr. A. B. " line (issue 11)': repeat("Mr. A. B. "),
        "titles and initialisms": repeat("U.S. Dr. No. Gen. e.g. J. "),
        "a run of dots": repeat("."),
        "digits with dots": repeat("1."),
        "punctuation runs": repeat("?!.\u2026\"') "),
        "no spaces": repeat("abc"),
        "quotes nested, unbalanced": repeat("\"\u201c'\u2018\u00abWe left.\u00bb\u2019 "
                                            "\u201d\"They"),
        "one huge line of prose": lambda size: prose[:size],
        "mixed line breaks": repeat("A. b\nC.\u2028D.\r\n\u2029E? "),
        "a long white-space run": lambda size: "End. " + " " * (size - 10) + "Next",
    }


def seconds(split, text, repeats=1):
    """Best wall time of ``split(text)`` over ``repeats`` runs."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        split(text)
        best = min(best, time.perf_counter() - started)
    return best


def time_at_full_size(split, make, full, size=100_000):
    """``(seconds, exact)`` for ``make(size)``. Without ``full``, a splitter slower than
    0.1 s on a tenth of the text is timed on a fifth of it only, and five times that is
    returned as a lower bound (``exact`` False): no splitter is faster than linear, and
    pysbd's growth varies too much with the input to extrapolate it."""
    small = seconds(split, make(size // 10))
    if full or small <= 0.1:
        return seconds(split, make(size), repeats=3 if small < 0.05 else 1), True
    return 5 * seconds(split, make(size // 5)), False


def model_ratio(splitters, repeats=5):
    """Segmentation time against prediction time on 100-sentence documents (one core;
    the best of ``repeats`` interleaved runs of each, as the machine may be shared)."""
    from threadpoolctl import threadpool_limits
    from train.model.versions import load_model
    from train.model.predict import predict
    model = load_model()
    sentences = corpus_sentences(2000, seed=2)
    docs = [" ".join(sentences[i:i + 100]) for i in range(0, len(sentences), 100)]
    with threadpool_limits(limits=1):
        for name, split in splitters.items():
            units = [[doc[s:e] for s, e in split(doc)] for doc in docs]
            segment = predicting = math.inf
            for _ in range(repeats):
                segment = min(segment, _time(lambda: [split(doc) for doc in docs]))
                predicting = min(predicting,
                                 _time(lambda: [predict(model, u) for u in units]))
            ms = 1000 / len(docs)
            print(f"  {name:16s} {sum(map(len, units)) / len(docs):5.1f} units/doc  "
                  f"segmentation {segment * ms:6.2f} ms/doc  prediction "
                  f"{predicting * ms:6.2f} ms/doc  ratio {segment / predicting:.2f}")


def _time(run):
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def http_ratio(duration, rounds=3):
    """Requests/s over HTTP for 100-sentence documents with split against pre-split: the
    best of ``rounds`` alternating runs of ``duration`` seconds each."""
    sys.path.insert(0, str(ROOT / "bench"))
    from loadgen import request_bytes, run_load, served
    sentences = corpus_sentences(2000, seed=3)
    groups = [sentences[i:i + 100] for i in range(0, len(sentences), 100)]
    with served() as (port, _, _):
        split = [request_bytes(port, "/classify", {"text": " ".join(g)}) for g in groups]
        pre = [request_bytes(port, "/classify", {"texts": g, "split": False})
               for g in groups]
        for concurrency in (1, 2):
            best = {"split": 0.0, "pre-split": 0.0}
            errors = 0
            for _ in range(rounds):
                for mode, payloads in (("split", split), ("pre-split", pre)):
                    load = run_load(port, payloads, concurrency, duration)
                    best[mode] = max(best[mode], load["requests_per_s"])
                    errors += load["errors"]
            print(f"  concurrency {concurrency}: split {best['split']}/s, pre-split "
                  f"{best['pre-split']}/s, ratio {best['split'] / best['pre-split']:.2f} "
                  f"(errors {errors})")


def comparison(splitters, verbose, full):
    """Print accuracy and speed of each splitter, then its time on each adversarial text."""
    # fresh documents for each of three runs: nupunkt caches what it has seen
    prose = [[" ".join(corpus_sentences(100, seed=100 * run + s)) for s in range(20)]
             for run in range(3)]
    inputs = adversarial()
    print(f"{'splitter':16s} {'exact':>7s} {'F1':>6s} {'exact41':>8s} {'F1-41':>6s} "
          f"{'prose chars/s':>14s} {'worst adversarial (100k chars)':>40s}")
    timings = {}
    for name, split in splitters.items():
        exact, f1 = accuracy(split, CASES, verbose)
        exact41, f1_41 = accuracy(split, CASES[:FIRST_CASES])
        rate = max(sum(map(len, docs)) / _time(lambda: [split(d) for d in docs])
                   for docs in prose)
        timings[name] = {label: time_at_full_size(split, make, full)
                         for label, make in inputs.items()}
        worst = max(timings[name], key=lambda label: timings[name][label][0])
        t, measured = timings[name][worst]
        worst_time = ('' if measured else '>=') + f'{t:.3f} s'
        print(f"{name:16s} {exact:3d}/{len(CASES):<3d} {f1:6.3f} "
              f"{exact41:4d}/{FIRST_CASES:<3d} {f1_41:6.3f} {rate:14,.0f} "
              f"{worst_time:>10s} {worst}")
    print("\nseconds at 100,000 characters (>= a lower bound, 5 x the time on 20,000; "
          "--full to run all)")
    print(f"{'input':32s}" + "".join(f"{n[:14]:>15s}" for n in splitters))
    for label in inputs:
        print(f"{label:32s}" + "".join(
            f"{('' if timings[n][label][1] else '>=') + f'{timings[n][label][0]:.3f}':>15s}"
            for n in splitters))


def main(argv):
    """Print the comparison (unless --ratios) and, on request, the model and HTTP ratios."""
    splitters = candidates()
    if "--ratios" not in argv:
        comparison(splitters, "-v" in argv, "--full" in argv)
    if "--model" in argv:
        print("\nin process, 20 documents of 100 corpus sentences, one core:")
        model_ratio({n: s for n, s in splitters.items()
                     if n in ("casus rules", "pysbd (before)")})
    if "--http" in argv:
        print("\nover HTTP (the real server, 20 documents of 100 corpus sentences):")
        http_ratio(float(argv[argv.index("--http") + 1]))


if __name__ == "__main__":
    main(sys.argv[1:])
