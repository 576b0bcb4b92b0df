"""Label drift: the mix of labels in recent traffic against the active model's training
data, per label, as a population stability index.

The window is shared by all workers of a server: a small file (one byte per sentence:
bit k set when label k was assigned, 0 for none), written as a ring under ``flock``. A
label's observed share is the share of window sentences carrying it; its expected share
is its share of the version's training sentences (the manifest's counts). With ``o`` and
``e`` those shares, ``PSI = (o - e) ln(o / e) + (e - o) ln((1 - o) / (1 - e))`` (the
label present or absent, as two bins). By the usual reading, under 0.1 is stable, 0.1 to
0.25 a shift worth watching, over 0.25 a change: the figures measured on the training
mix no longer hold.
"""
import fcntl
import logging
import math
import os
import struct
from contextlib import contextmanager
from pathlib import Path

from train.model.labelset import NONE

log = logging.getLogger("casus.drift")

#: Sentences the window holds by default (``CASUS_DRIFT_WINDOW``).
WINDOW = 10_000
#: PSI over which a label is reported as drifted (``CASUS_DRIFT_THRESHOLD``).
THRESHOLD = 0.25
#: Fewer sentences than this in the window give no verdict: 100 sentences put a 10%
#: share's estimate anywhere from about 4% to 16%.
MIN_SENTENCES = 500
#: Shares are kept this far from 0 and 1 so a label never seen gives a finite PSI.
EPSILON = 1e-4
#: How often (in sentences appended) a worker recomputes PSI to warn on a crossing.
CHECK_EVERY = 1000
_HEADER = struct.Struct("<QQ64s")   # sentences ever appended, last check, version


def psi(observed, expected):
    """The population stability index of a label present with share ``observed``
    against ``expected`` (two bins: present, absent)."""
    o = min(max(observed, EPSILON), 1 - EPSILON)
    e = min(max(expected, EPSILON), 1 - EPSILON)
    return (o - e) * math.log(o / e) + (e - o) * math.log((1 - o) / (1 - e))


def expected_shares(manifest):
    """Each label's (and none's) share of a version's training sentences, or None."""
    data = manifest.get("data", {})
    total = data.get("train_sentences")
    counts = data.get("train_label_counts")
    if not total or not isinstance(counts, dict):
        return None
    shares = {label: counts.get(label, 0) / total for label in manifest["labels"]}
    shares[NONE] = data.get("train_none", 0) / total
    return shares


class DriftWindow:
    """The shared ring of recent sentences' labels, in the file ``path``."""

    def __init__(self, path, size=WINDOW, threshold=THRESHOLD):
        self.path = Path(path)
        self.size, self.threshold = size, threshold
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size != _HEADER.size + size + 64:
                os.ftruncate(fd, 0)
                os.ftruncate(fd, _HEADER.size + size + 64)   # 64 bytes: warned labels
        finally:
            os.close(fd)

    def append(self, masks, model):
        """Add the label masks of classified sentences (from ``label_masks``); every
        ``CHECK_EVERY`` sentences, warn once for each label whose PSI crossed the
        threshold (and note when it is back under)."""
        if not masks:
            return
        version = model.version.encode("utf-8")[:64].ljust(64, b"\0")
        with self._locked() as fd:
            count, checked, stored = _HEADER.unpack(os.pread(fd, _HEADER.size, 0))
            if stored != version:   # a new version: its own expectation, a new window
                count = checked = 0
                os.pwrite(fd, bytes(64), _HEADER.size + self.size)
            data = bytes(masks[-self.size:])
            start = (count + len(masks) - len(data)) % self.size
            first = data[:self.size - start]
            os.pwrite(fd, first, _HEADER.size + start)
            if len(first) < len(data):
                os.pwrite(fd, data[len(first):], _HEADER.size)
            count += len(masks)
            check = count - checked >= CHECK_EVERY
            os.pwrite(fd, _HEADER.pack(count, count if check else checked, version), 0)
            if check:
                self._warn_on_crossings(fd, count, model)

    def _warn_on_crossings(self, fd, count, model):
        report = self._report(fd, count, model)
        if not report["verdict"].startswith(("stable", "drift")):
            return
        flags_at = _HEADER.size + self.size
        flags = bytearray(os.pread(fd, 64, flags_at))
        for index, (label, row) in enumerate(report["labels"].items()):
            over = row["psi"] > self.threshold
            if over and not flags[index]:
                log.warning("label drift: '%s' is %.1f%% of the last %d sentences against "
                            "%.1f%% of the training data (PSI %.3f > %.2f); see GET /drift",
                            label, 100 * row["observed"], report["window"]["sentences"],
                            100 * row["expected"], row["psi"], self.threshold)
            flags[index] = 1 if over else 0
        os.pwrite(fd, bytes(flags), flags_at)

    def report(self, model):
        """The drift report: window, per label expected / observed / PSI, a verdict."""
        with self._locked() as fd:
            count, _, stored = _HEADER.unpack(os.pread(fd, _HEADER.size, 0))
            if stored != model.version.encode("utf-8")[:64].ljust(64, b"\0"):
                count = 0
            return self._report(fd, count, model)

    def _report(self, fd, count, model):
        n = min(count, self.size)
        window = os.pread(fd, n, _HEADER.size) if n else b""
        expected = expected_shares(model.manifest)
        labels = list(model.label_ids)
        observed = {label: 0 for label in (*labels, NONE)}
        for byte in window:
            if byte == 0:
                observed[NONE] += 1
            for k, label in enumerate(labels):
                if byte >> k & 1:
                    observed[label] += 1
        rows = {}
        for label in (*labels, NONE):
            share = observed[label] / n if n else None
            e = expected.get(label) if expected else None
            rows[label] = {"expected": None if e is None else round(e, 4),
                           "observed": None if share is None else round(share, 4),
                           "psi": None if share is None or e is None else
                           round(psi(share, e), 4)}
        if expected is None:
            verdict = "unknown: the model's manifest has no training label counts"
        elif n < MIN_SENTENCES:
            verdict = "insufficient data"
        else:
            drifted = [label for label, row in rows.items() if row["psi"] > self.threshold]
            verdict = "drift: " + ", ".join(drifted) if drifted else "stable"
        return {"window": {"size": self.size, "sentences": n, "seen": count,
                           "min_sentences": MIN_SENTENCES},
                "threshold": self.threshold, "model": model.version, "verdict": verdict,
                "labels": rows}

    def metric_families(self, model):
        """Gauges for a scrape: per label expected and observed share, and PSI."""
        from prometheus_client.core import GaugeMetricFamily
        report = self.report(model)
        families = {name: GaugeMetricFamily(f"casus_drift_{name}", text, labels=["label"])
                    for name, text in (("expected_share", "Share of training sentences with "
                                        "the label"),
                                       ("observed_share", "Share of the window's sentences "
                                        "with the label"),
                                       ("psi", "Population stability index of the label"))}
        for label, row in report["labels"].items():
            for name, key in (("expected_share", "expected"), ("observed_share", "observed"),
                              ("psi", "psi")):
                if row[key] is not None:
                    families[name].add_metric([label], row[key])
        window = GaugeMetricFamily("casus_drift_window_sentences", "Sentences in the drift "
                                   "window")
        window.add_metric([], report["window"]["sentences"])
        return [*families.values(), window]

    @contextmanager
    def _locked(self):
        """The window file's descriptor, held under an exclusive ``flock``."""
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)


def label_masks(results, model):
    """One byte per classified sentence of a /classify answer: bit k for label k."""
    bits = {label: 1 << k for k, label in enumerate(model.label_ids[:8])}
    return [sum(bits.get(label, 0) for label in sentence["labels"])
            for result in results for sentence in result["sentences"]]
