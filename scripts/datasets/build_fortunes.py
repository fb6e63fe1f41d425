#!/usr/bin/env python3
"""Build fortunes: the English fortune cookies of Debian's `fortunes` with their file (category).

SOURCE
  origin:   Debian packages `fortunes` and `fortunes-min` (fortune-mod), Debian 12 "bookworm",
            version 1:1.99.1-7.3; the files in /usr/share/games/fortunes/ (one category per file,
            entries separated by '%' lines). Collected by Ken Arnold, Amy A. Lewis and others.
  license:  BSD (fortune-mod); the cookies themselves are a traditional collection of quotes
            and jokes redistributed by Debian (/usr/share/doc/fortunes/copyright).
  fetched:  nothing; the text ships inside the package.

Tasks per fortune (longer texts: a line to a page; jokes, quotes, poems, dialogues):
  category    multiclass, the fortune file (39 kept; files with fewer than 50 entries dropped:
              ascii-art, magic, pratchett, translate-me)
  group       multiclass, 5 coarse groups of the files (tech, science, society, arts, sayings)
  attributed  binary: the fortune ends with an attribution line ("-- Mark Twain"); that line is
              removed from the text, so the task is to tell a quotation from a joke or anecdote

Usage: build_fortunes.py [OUTDIR]   (default datasets-build/), writes OUTDIR/fortunes/fortunes.csv
and OUTDIR/fortunes/spec.toml. Needs `apt-get install fortunes fortunes-min` (build_all.sh does it).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

FORTUNE_DIR = "/usr/share/games/fortunes"
MIN_ENTRIES = 50
GROUPS = {
    "tech": ["computers", "debian", "linux", "linuxcookie", "perl", "knghtbrd"],
    "science": ["science", "education", "medicine", "goedel", "definitions"],
    "society": ["politics", "law", "news", "work", "ethnic", "drugs", "sports", "food", "pets",
                "kids", "men-women", "love", "people"],
    "arts": ["art", "literature", "songs-poems", "humorists", "startrek", "zippy"],
    "sayings": ["wisdom", "tao", "platitudes", "paradoxum", "fortunes", "cookie", "miscellaneous",
                "riddles", "disclaimer"],
}
GROUP_OF = {f: g for g, files in GROUPS.items() for f in files}
# An attribution: a last line that starts (after indentation) with "--" and a name.
ATTRIBUTION = re.compile(r"^\s*--\s*\S")


def clean(text):
    """Undo overstriking (x\\b_ in old fortune files) and drop other control characters."""
    while "\b" in text:
        text = re.sub(r".\x08", "", text)
        text = text.replace("\b", "")
    return "".join(c for c in text if c in "\n\t" or ord(c) >= 32)


def attribution_start(lines):
    """Index of the line where a closing attribution starts, or None.

    The attribution is the last "-- Name" line, possibly wrapped onto indented lines after it
    ('-- Douglas Coupland, "Generation X: Tales for an Accelerated' / '\t\tCulture"').
    """
    for k in range(len(lines) - 1, 0, -1):
        if ATTRIBUTION.match(lines[k]):
            return k if all(l[:1] in (" ", "\t") for l in lines[k + 1:]) else None
    return None


def entries(path):
    """The fortunes of one file: entries separated by lines holding only '%'."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = clean(f.read())
    for entry in re.split(r"^%\s*$", text, flags=re.M):
        entry = entry.strip("\n")
        if entry.strip():
            yield entry


def main():
    out = _common.output_dir(sys.argv, "fortunes")
    rows = []
    for name in sorted(os.listdir(FORTUNE_DIR)):
        path = os.path.join(FORTUNE_DIR, name)
        if "." in name or os.path.islink(path) or not os.path.isfile(path):
            continue
        items = list(entries(path))
        if len(items) < MIN_ENTRIES:
            print(f"  dropped {name}: {len(items)} entries", file=sys.stderr)
            continue
        if name not in GROUP_OF:
            raise SystemExit(f"fortune file {name} has no group: add it to GROUPS")
        for i, entry in enumerate(items):
            lines = entry.rstrip().split("\n")
            start = attribution_start(lines)
            attributed = start is not None
            if attributed:
                lines = lines[:start]
            text = re.sub(r"[ \t]+", " ", "\n".join(l.strip() for l in lines)).strip()
            if not text:
                continue
            rows.append({"id": f"{name}:{i + 1}", "text": text, "category": name,
                         "group": GROUP_OF[name], "attributed": "yes" if attributed else "no",
                         "split": _common.split_of(_common.normalise(text))})
    tasks = {"category": "multiclass", "group": "multiclass", "attributed": "binary"}
    blanked = _common.drop_rare_and_unseen(rows, tasks)
    for column, labels in blanked.items():
        print(f"  blanked {column}: {', '.join(labels)}", file=sys.stderr)
    _common.write_csv(os.path.join(out, "fortunes.csv"),
                      ["id", "text", "category", "group", "attributed", "split"], rows)
    _common.write_spec(os.path.join(out, "spec.toml"),
                       "Debian fortunes 1:1.99.1-7.3, English files; built by scripts/datasets/build_fortunes.py",
                       "text", [("category", "multiclass", None), ("group", "multiclass", None),
                                ("attributed", "binary", ["no", "yes"])], max_length=200)
    _common.report("fortunes", rows, tasks)


if __name__ == "__main__":
    main()
