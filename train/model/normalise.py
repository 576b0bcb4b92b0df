"""Text normalisation applied before every feature, in training and serving alike (no
scikit-learn needed to serve), and the identity of a sentence that follows from it.

Real text reaches casus in forms the corpus is not written in: tokenised transcripts
(``Russia 's attack , officials said .``, ``do n't``, ````` and ``''`` for quotes), HTML
entities (``&quot;``, ``&#8217;``), non-breaking and zero-width spaces, soft hyphens,
curly and doubled quotes, words hyphenated across a line break, bullets, all-caps
headlines. Each is folded here into the plain form, so a sentence scores the same in
any of them (``tests/code/test_normalise.py``). Every such form is rare in clean text,
so one search decides whether the repairs run at all: plain text pays for the search only.
"""
import html
import re

#: Characters folded one for one: quotes and primes to ASCII quotes, dashes and hyphens
#: to "-", every Unicode space to " ", bullets to " "; zero-width characters and the soft
#: hyphen are dropped (they split a word in two for the features).
_FOLD = str.maketrans({
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u00b4", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                    "\u2009\u200a\u202f\u205f\u3000\t", " "),
    **dict.fromkeys("\u2022\u25aa\u25cf\u25e6\u2023\u2219\u25a0\u25a1\u27a2\u2043", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad"),
})
_DIGITS = re.compile(r"\d")
#: Any of the forms that need more than a one-for-one fold (entities, tokenised quotes,
#: clitics and punctuation), looked for in the folded, lower-cased text: plain text pays
#: for this one search (about 4 us a sentence here, against 4 us for the fold itself).
_ENTITY = re.compile(r"&#?\w{1,8};")
_SPECIAL = re.compile(_ENTITY.pattern + r"|``|''| n't\b| '[a-z]| [,.;:!?%)\]}]|[(\[{$] ")
_CLITIC = re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b")
#: Spaces before closing punctuation; a run is matched only from its first space (the
#: lookbehind), so a long run costs its length once, not its length squared.
_SPACE_BEFORE = re.compile(r"(?<![ \t])[ \t]++(?=[,.;:!?%)\]}])")
_SPACE_AFTER = re.compile(r"(?<=[(\[{$])[ \t]++")
#: Where a line break continues a word hyphenated across it ("nego-\ntiations"): right
#: after a letter and a hyphen (or a soft hyphen), before a lower-case letter. The
#: segmenter (``train.model.segment``) keeps such a break inside the sentence, by this pattern.
HYPHEN_BREAK = r"(?<=[^\W\d_][-\u2010\u00ad])\r?\n(?=[a-z\u00df-\u00ff])"
_HYPHENATED = re.compile(r"\b([^\W\d_]+)([-\u2010\u00ad])" + HYPHEN_BREAK)
#: The word is joined, unless the part before the hyphen forms hyphenated compounds
#: ("self-\ndefence", "cease-\nfire"); a soft hyphen always joins.
_COMPOUND_PREFIXES = frozenset("""
    self ex non anti pro counter cross cease well so half full all high low long short ill
    co post pre mid multi semi vice
    """.split())
#: Bumped whenever ``normalise_text`` gives any text a different result: a model records
#: the version it was trained with and is refused by a runtime with another
#: (``train.model.versions.load_model``), and ``tests/code/test_normalise.py`` holds the
#: outputs this version gives.
NORMALISE_VERSION = 2


def _rejoin(match):
    head, hyphen = match.group(1), match.group(2)
    return head + ("-" if hyphen != "\u00ad" and head.lower() in _COMPOUND_PREFIXES else "")


def _unescape(match):
    return html.unescape(match.group(0))


def _repair(text):
    """The multi-character repairs, for folded lower-case text that holds such a form."""
    if "&" in text:   # only entities themselves; one may stand for a curly quote or a space
        text = _ENTITY.sub(_unescape, text).translate(_FOLD).lower()
    text = text.replace("`` ", '"').replace("``", '"').replace(" ''", '"').replace("''", '"')
    text = _CLITIC.sub(r"\1", text)
    text = _SPACE_BEFORE.sub("", text)
    return _SPACE_AFTER.sub("", text)


def normalise_text(text):
    """Lower-case, fold the forms real text takes (above), straighten quotes and dashes,
    and map every digit to 0.

    Digits are folded because "Resolution 2334" and "Resolution 1701" should teach the
    same thing; typography and transcription vary by outlet and must not change a
    prediction.
    """
    if "\n" in text:   # before lower-casing: only a lower-case letter continues a word
        text = _HYPHENATED.sub(_rejoin, text)
    text = text.translate(_FOLD).lower()
    if _SPECIAL.search(text):
        text = _repair(text)
    return _DIGITS.sub("0", text)


def text_key(text):
    """The identity of a sentence for duplicates, corrections and the test-split guard:
    what the model sees (case, quotes, dashes, digits and the forms above folded by
    ``normalise_text``) with spacing folded, so a variant the model cannot tell apart
    counts as the same."""
    return " ".join(normalise_text(text).split())
