"""Sentence segmentation with exact character offsets, in time linear in the text's length.

A rule-based splitter of our own, chosen by measurement (``bench/segmenters.py``, every
library run line by line; a 2-core machine shared with other work, so speeds vary about
two-fold between runs) on the 81 tricky cases of ``tests/code/segmentation_cases.jsonl``
and on speed:

================  ===========  ===========  =============  ===============================
splitter          exact cases  boundary F1  prose, chars/s slowest 100,000-character text
================  ===========  ===========  =============  ===============================
this module       80/81        0.997        5-18 M         0.06-0.2 s ("Mr. A. B. " ...)
pysbd 0.3.4       68/81        0.955        0.08-0.16 M    103 s ("ab. " * 25000)
nupunkt 0.8.0     78/81        0.992        4-13 M         1.4-5.6 s ("1.2.3!?" * 14000)
syntok 1.4.4      69/81        0.956        1.1-1.3 M      0.3-1 s (titles, line breaks)
blingfire 0.1.8   68/81        0.952        3.8-6.9 M      0.24-0.44 s (a run of dots)
sentencex 1.0.32  64/81        0.933        30-48 M        0.06 s
================  ===========  ===========  =============  ===============================

It is the most accurate and, after sentencex (which splits no quotation and cuts "1."
and "para." off what follows), the fastest, and it needs no dependency. pysbd, used
before, took 103, 35 and 20 s on the three texts of issue 11 (``"ab. " * 25000``,
``"1.2.3!?" * 14000``, ``"Mr. A. B. "`` over 99,000 characters); this module takes
0.01, 0.004 and 0.06 s. On documents of 100 corpus sentences it costs 0.05-0.14 of the
prediction of the sentences it finds (pysbd: 9-12 times), and over HTTP such documents
sent with split get 0.64-1.0 of the throughput of the same sentences sent pre-split
(pysbd: about 0.12). Caveat: 40 of the 81 cases were
written together with these rules; on the 41 that predate it this module gets 41/41,
pysbd 37/41 (39/41 before two of them were changed to the quotation rule below).

The rules, in the order they apply:

- Every line break (``\\n``, ``\\r``, ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, ``\\x85``,
  ``\\u2028``, ``\\u2029``) ends a sentence, so headings, bullets and numbered lines stand
  alone; except a line ending in a hyphen after a letter whose next line starts with a
  lower-case letter: a word hyphenated across the break (text copied from PDFs and wires).
- A sentence may end only after terminal punctuation (``.``, ``!``, ``?``, ``…``, ``‽``
  and the full-width ones) plus any closing quotation marks and brackets, and only where
  white space follows (full-width ``。！？`` need none). It does not end there when the
  next word starts with a lower-case letter or with ``, ; : % ) ] }`` or more terminal
  punctuation (``"Enough!" shouted the mayor.``, ``We waited... and waited.``, ``. . .``).
- After a single full stop, the word before it decides: a title or word abbreviation
  that always has something after it (``Mr.``, ``Gen.``, ``Lt.``, ``St.``, ``Jan.``,
  ``e.g.``, ``vs.``, ``approx.``) never ends a sentence; one that announces a number
  (``No.``, ``Art.``, ``para.``, ``p.``) does not before a digit; a list or paragraph
  number (``1.``, ``b.``, ``iv.``, ``12.3.``) at the start of a sentence does not; an
  abbreviation that can end a sentence (``U.S.``, ``a.m.``, ``etc.``, ``Inc.``, a single
  capital as in ``John F. Kennedy``) ends one only when the next word is a common
  sentence opener (``The``, ``It``, ``They`` ...).
- **Quotation marks are not tracked.** A sentence inside quotation marks is split like
  any other. An opening mark belongs to the sentence it opens and a closing mark (with any
  brackets) to the sentence whose terminal punctuation it follows, because each stays with
  the word it touches: ``"We will not leave. They attacked first. We want talks," he
  said.`` gives ``"We will not leave.`` / ``They attacked first.`` / ``We want talks," he
  said.``. So an unbalanced or nested quote can never change more than its own word.

Every step is a regular-expression scan that never backtracks over more than a bounded
window, plus constant work per candidate sentence end, so any input costs time
proportional to its length.
"""
import re

from .normalise import HYPHEN_BREAK

#: Terminal punctuation, closing and opening marks, and the line breaks of str.splitlines.
_TERMINAL = ".!?\u2026\u203d\uff0e\uff01\uff1f\u3002"
_CLOSING = "\"'\u201d\u2019\u00bb\u203a)]}\u300d\u300f\uff09"
_OPENING = "\"'\u201c\u2018\u00ab\u2039([{\u00bf\u00a1\u300c\u300e\uff08"
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CJK_STOPS = "\u3002\uff01\uff1f"


def _any_of(characters):
    """A regular-expression class matching any one of ``characters``."""
    return "[" + re.escape(characters) + "]"


#: A line, except that a word hyphenated across a line break ("nego-\ntiations") does not
#: end one: the sentence goes on, and ``normalise_text`` joins the word (one pattern,
#: ``HYPHEN_BREAK``, decides both).
_LINE = re.compile(f"(?:[^{re.escape(_BREAKS)}]++|{HYPHEN_BREAK})++")
#: A candidate end: a run of terminal punctuation (matched only from the run's first
#: character, so a run of any length is scanned once) and closing marks, before white
#: space or the line's end; or a run of full-width CJK stops, which need no space.
#: Possessive and anchored so that no input makes it backtrack: pysbd's time grew with
#: the square of a line's length (103 s on "ab. " * 25000; this scan: 0.013 s).
_CANDIDATE = re.compile(f"(?<!{_any_of(_TERMINAL)})"
                        f"(?:({_any_of(_TERMINAL)}++){_any_of(_CLOSING)}*+(?=\\s|\\Z)"
                        f"|{_any_of(_CJK_STOPS)}++{_any_of(_CLOSING)}*+)")
#: What follows a candidate: white space, then (group 1) any opening marks and the
#: first character after them (group 2, empty at the line's end).
_NEXT = re.compile(f"\\s*+({_any_of(_OPENING)}*+)(.?)", re.DOTALL)
#: Characters that continue a sentence when they come first after white space.
_CONTINUES = ",;:%)]}" + _TERMINAL
_SPACE = re.compile(r"\s*+")
_WORD = re.compile(r"[A-Za-z]{1,12}")
#: The last word before a full stop is looked for only this far back (longer words are
#: none of the abbreviations below).
_WINDOW = 24
#: "U.S", "a.m", "N.Y", "Ph.D" (the word before the final full stop).
_INITIALISM = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
#: "1", "12.3", "b", "iv", "IV": list and paragraph numbers (UN resolutions, reports).
_LIST_NUMBER = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|[ivxlc]{1,6}|[IVXLC]{1,6})")

#: Abbreviations that are followed by something: never a sentence end.
_ALWAYS_FOLLOWED = frozenset("""
    Mr Mrs Ms Mx Messrs Mme Mlle Dr Prof Gen Lt Col Maj Capt Cpt Sgt Cpl Pvt Adm Cmdr Cdr
    Brig Gov Sen Rep Amb Hon Rev Fr Pres Supt Insp Det St Mt Ft Univ Dept Dist
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    e.g i.e vs v cf viz approx ca incl excl esp Approx Cf Vs
    """.split())
#: Abbreviations that announce a number: not a sentence end before a digit.
_BEFORE_NUMBER = frozenset("""
    No Nos no nos Art Arts art arts Para Paras para paras p pp Vol vol Ch ch Sec sec
    Fig fig Res Doc Op op Ref ref cl Ep ep
    """.split())
#: Abbreviations that can also end a sentence (besides initialisms and single capitals).
_MAY_END = frozenset("etc Inc Ltd Co Corp Jr Sr Bros al Ave Rd govt".split())
#: Words that often open a sentence and rarely follow "U.S." or "F." inside a name.
_SENTENCE_OPENERS = frozenset("""
    The A An It Its He She They We I You This That These Those There Here His Her Their
    Our My But And Or So Yet In On At By For From With After Before During When While
    Since If As Although Though However Meanwhile Earlier Later Then Now Today Yesterday
    Some Many Most Several Both All Each No Nobody None One Officials According What Why
    How Who Where Which Also Still Instead Despite Following Such Under Over
    """.split())


def sentence_spans(text):
    """``[(start, end), ...]`` of each sentence in ``text``, in order, such that
    ``text[start:end]`` is the sentence without surrounding white space. Nothing but
    white space lies between or around the spans, and every other character is in one."""
    spans = []
    for line in _LINE.finditer(text):
        start, line_end = _SPACE.match(text, line.start(), line.end()).end(), line.end()
        for candidate in _CANDIDATE.finditer(text, start, line_end):
            following = _NEXT.match(text, candidate.end(), line_end)
            first = following.group(2)
            if not first or first.islower() or first in _CONTINUES:
                continue                         # a lower-case word, ", ...", a stray quote
            if candidate.group(1) == "." and not _full_stop_ends(text, start, candidate,
                                                                 following):
                continue
            spans.append(_trimmed(text, start, candidate.end()))
            start = following.start(1)
        if start < line_end:
            spans.append(_trimmed(text, start, line_end))
    return spans


def _trimmed(text, start, end):
    """``(start, end)`` without white space at the end (``start`` is never white)."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _full_stop_ends(text, sentence_start, candidate, following):
    """Whether a single full stop (``candidate``, with any closing marks) ends the sentence
    that began at ``sentence_start``: the word before it decides (see the module
    docstring); ``following`` is the match of what comes next."""
    before = text[max(sentence_start, candidate.start() - _WINDOW):candidate.start()]
    token = before.rsplit(None, 1)[-1] if before and not before[-1].isspace() else ""
    word = token.rstrip(_CLOSING).lstrip(_OPENING)
    if candidate.start() - len(token) == sentence_start and _LIST_NUMBER.fullmatch(word):
        return False                             # "1. All parties ...", "IV. Decides"
    if word.isupper() and len(word) > 1:
        word = word.title()                      # ST. PETERSBURG, GEN. SMITH, NO. 5
    if word in _ALWAYS_FOLLOWED:
        return False
    if word in _BEFORE_NUMBER:
        return not following.group(2).isdigit()
    may_end = word in _MAY_END or _INITIALISM.fullmatch(word)
    if may_end or (len(word) == 1 and word.isupper()):     # "U.S.", "etc.", "F."
        next_word = _WORD.match(text, following.end(1))
        return bool(next_word) and next_word.group(0) in _SENTENCE_OPENERS
    return True
