"""Sentence segmentation with exact character offsets.

pysbd was chosen by measurement (`bench/segmenters.py` on the 41 tricky cases of
`tests/code/segmentation_cases.jsonl`: abbreviations, multi-sentence quotes, numbers and
dates, ellipses, headings, bullet lists): 39/41 cases exact and boundary F1 0.988, against
35/41 and 0.958 for syntok. Lines are segmented one at a time, so headings and list items
never merge with the text around them.
"""
import re

import pysbd

_LINES = re.compile(r"[^\n]+")
_SEGMENTER = pysbd.Segmenter(language="en", clean=False, char_span=True)
#: Characters at which pysbd may end a sentence (its punctuation list, the ellipsis,
#: and the line breaks Python knows beyond "\n").
_MAY_END = re.compile(r"[.!?\u3002\uff0e\uff01\uff1f\u2026\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CLOSERS = ".!?\u3002\uff0e\uff01\uff1f\u2026\"'\u201d\u2019)]\u00bb "


def single_sentence(line):
    """True when ``line`` cannot hold two sentences: nothing that could end one occurs
    before its closing punctuation. Most requests are one sentence, and pysbd costs
    about half a millisecond even then."""
    return not _MAY_END.search(line.rstrip().rstrip(_CLOSERS))


def _strip(text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


#: pysbd's time grows with the square of a line's length (0.2 s at 10,000 characters,
#: 5.7 s at 60,000), so longer lines are cut first at boundaries no reading could doubt.
_CHUNK = 2000
#: A full stop, question or exclamation mark after a lower-case word of four or more
#: letters, then white space and a capital: never an abbreviation such as "Mr." or "U.S.".
_SURE_END = re.compile(r"(?<=[a-z]{4}[.!?])\s+(?=[A-Z])")


def _chunks(line_start, line):
    """``(offset, piece)`` of ``line`` cut into pieces of about ``_CHUNK`` characters at
    sure sentence ends (a line with none stays whole)."""
    if len(line) <= 2 * _CHUNK:
        return [(line_start, line)]
    pieces, start = [], 0
    for match in _SURE_END.finditer(line):
        if match.start() - start >= _CHUNK:
            pieces.append((line_start + start, line[start:match.start()]))
            start = match.end()
    pieces.append((line_start + start, line[start:]))
    return pieces


def sentence_spans(text):
    """``[(start, end), ...]`` of each sentence in ``text``, in order, such that
    ``text[start:end]`` is the sentence without surrounding white space. Nothing but
    white space lies between or around the spans."""
    spans = []
    for line in _LINES.finditer(text):
        if not line.group(0).strip():
            continue
        if single_sentence(line.group(0)):
            spans.append(_strip(text, line.start(), line.end()))
            continue
        spans.extend(_cover(text, line.start(), line.end(),
                            [(offset + p.start, offset + p.end)
                             for offset, chunk in _chunks(line.start(), line.group(0))
                             for p in _SEGMENTER.segment(chunk)]))
    return spans


def _cover(text, line_start, line_end, pieces):
    """pysbd's pieces made safe: in order, not overlapping, trimmed, and with any text
    pysbd left out (it drops some symbol runs, found by the property tests) kept as a
    sentence of its own, so nothing a user sent goes unlabelled."""
    spans, position = [], line_start
    for start, end in sorted(pieces):
        start = max(start, position)
        if text[position:start].strip():
            spans.append(_strip(text, position, start))
        start, end = _strip(text, start, min(end, line_end))
        if end > start:
            spans.append((start, end))
            position = end
    if text[position:line_end].strip():
        spans.append(_strip(text, position, line_end))
    return spans
