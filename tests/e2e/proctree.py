"""Processes as the kernel shows them in /proc, and waiting on events with a deadline
(never on a timer assumed long enough), for the tests of training jobs."""
import os
import time


def _stat(pid):
    """``(state, ppid, pgid, start time)`` of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()   # the name in () may hold spaces
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def _processes():
    """Every process now: pid -> its ``_stat``."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat:
                stats[int(name)] = stat
    return stats


def process_tree(pid):
    """``pid``, its descendants and the members of its process group, as ``{pid: start
    time}`` (the start time tells a process from a later one given the same pid)."""
    stats = _processes()
    tree = {pid} if pid in stats else set()
    tree |= {p for p, stat in stats.items() if stat[2] == pid}
    grew = True
    while grew:
        children = {p for p, stat in stats.items() if stat[1] in tree} - tree
        tree |= children
        grew = bool(children)
    return {p: stats[p][3] for p in tree}


def alive(tree):
    """The processes of ``tree`` still running (a zombie has ended; only its exit status
    waits to be collected)."""
    running = []
    for pid, started in tree.items():
        stat = _stat(pid)
        if stat and stat[0] not in "ZX" and stat[3] == started:
            running.append(pid)
    return running


def wait_until(condition, timeout, what):
    """Poll ``condition()`` until it is true; fail saying ``what`` (a string, or a
    function giving one at that moment) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, \
            f"not within {timeout}s: {what() if callable(what) else what}"
        time.sleep(0.05)


def wait_for_line(path, text, timeout=300):
    """Wait until the file at ``path`` (a job's log) holds ``text``; returns its content."""
    content = []

    def found():
        content[:] = [path.read_text(errors="replace") if path.exists() else ""]
        return text in content[0]
    wait_until(found, timeout, f"{text!r} in {path}")
    return content[0]
