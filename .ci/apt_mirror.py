"""Print the Debian archive this machine's apt takes SUITE from (default bookworm), for
debootstrap: the URI of the first enabled source, in sources.list and its .list files
(one-line format) or in .sources files (deb822), whose suites include SUITE itself.
``MIRROR`` in the environment wins. Exits 1, saying so, when there is none.

    python3 .ci/apt_mirror.py [SUITE] [ROOT]
"""
import os
import sys
from pathlib import Path


def one_line_sources(text):
    """``(uri, suite)`` of each ``deb`` line."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[0] == "deb":
            words = [w for w in words[1:] if not w.startswith("[") and not w.endswith("]")
                     and "=" not in w]
            if len(words) >= 2:
                yield words[0], words[1]


def deb822_sources(text):
    """``(uri, suite)`` of each enabled ``Types: deb`` stanza."""
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith(("#", " ")):
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
            for uri in fields.get("uris", []):
                for suite in fields.get("suites", []):
                    yield uri, suite


def mirror(suite, root):
    """The first archive serving ``suite`` under ``root``'s apt sources, or None."""
    apt = Path(root) / "etc/apt"
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or path.suffix not in (".list", ".sources"):
            continue
        parse = deb822_sources if path.suffix == ".sources" else one_line_sources
        for uri, source_suite in parse(path.read_text(encoding="utf-8", errors="replace")):
            if source_suite == suite:
                return uri
    return None


def main():
    suite = sys.argv[1] if len(sys.argv) > 1 else "bookworm"
    root = sys.argv[2] if len(sys.argv) > 2 else "/"
    found = os.environ.get("MIRROR") or mirror(suite, root)
    if not found:
        sys.exit(f"no apt source for {suite} under {root}etc/apt; set MIRROR=<archive URL>")
    print(found)


if __name__ == "__main__":
    main()
