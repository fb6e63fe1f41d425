#!/usr/bin/env python3
"""Build bible-kjv: every verse of the King James Bible with its book, the book's genre and testament.

SOURCE
  origin:   Debian packages `bible-kjv-text` (the text, /usr/lib/bible.data) and `bible-kjv` (the
            `bible` program that decompresses it), Debian 12 "bookworm", version 4.38.
            Bible Retrieval System by Chip Chapin; Debian package by Matthew Vernon.
  license:  the KJV text (1611) is out of copyright; the retrieval program is GPL-2+
            (/usr/share/doc/bible-kjv-text/copyright).
  fetched:  nothing; the text ships inside the package.

Tasks per verse (short text, many fine classes, two coarser views of the same hierarchy):
  book       multiclass, 66 books (books with fewer than 20 verses are blanked: 2 John, 3 John)
  genre      multiclass, 10: law, history, wisdom, major_prophets, minor_prophets, gospels,
             acts, pauline_epistles, general_epistles, apocalyptic
  testament  binary, old / new

Usage: build_bible_kjv.py [OUTDIR]   (default datasets-build/), writes OUTDIR/bible_kjv/bible_kjv.csv
and OUTDIR/bible_kjv/spec.toml. Needs `apt-get install bible-kjv bible-kjv-text` (build_all.sh does it).
"""

import re
import subprocess
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

# Canonical order; the genre of each book follows the usual Protestant grouping.
GENRES = [
    ("law", ["Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy"]),
    ("history", ["Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings",
                 "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah", "Esther"]),
    ("wisdom", ["Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon"]),
    ("major_prophets", ["Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel"]),
    ("minor_prophets", ["Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk",
                        "Zephaniah", "Haggai", "Zechariah", "Malachi"]),
    ("gospels", ["Matthew", "Mark", "Luke", "John"]),
    ("acts", ["Acts"]),
    ("pauline_epistles", ["Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians",
                          "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians",
                          "1 Timothy", "2 Timothy", "Titus", "Philemon"]),
    ("general_epistles", ["Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude"]),
    ("apocalyptic", ["Revelation"]),
]
GENRE_OF = {book: genre for genre, books in GENRES for book in books}
OLD_TESTAMENT = {b for g, books in GENRES[:5] for b in books}


def verses():
    """(book, chapter, verse, text) for every verse, from `bible` printing the whole range unwrapped."""
    out = subprocess.run(["bible", "-m", "8192", "-l", "100000", "Ge1:1-Rev22:21"],
                         capture_output=True, text=True, check=True).stdout
    book, chapter = None, None
    heading = re.compile(r"^(\S.*) (\d+)$")
    verse = re.compile(r"^\s+(\d+) (.*)$")
    for line in out.splitlines():
        if m := heading.match(line):
            book, chapter = m.group(1), int(m.group(2))
        elif (m := verse.match(line)) and book:
            yield book, chapter, int(m.group(1)), m.group(2).strip()


def main():
    out = _common.output_dir(sys.argv, "bible_kjv")
    rows = []
    for book, chapter, number, text in verses():
        if book not in GENRE_OF:
            raise SystemExit(f"unknown book name from bible: {book!r}")
        rows.append({"id": f"{book} {chapter}:{number}", "text": text, "book": book,
                     "genre": GENRE_OF[book], "testament": "old" if book in OLD_TESTAMENT else "new",
                     "split": _common.split_of(_common.normalise(text))})
    if len(rows) != 31102:
        raise SystemExit(f"expected the KJV's 31102 verses, read {len(rows)}")
    tasks = {"book": "multiclass", "genre": "multiclass", "testament": "binary"}
    blanked = _common.drop_rare_and_unseen(rows, tasks)
    for column, labels in blanked.items():
        print(f"  blanked {column}: {', '.join(labels)}", file=sys.stderr)
    header = ["id", "text", "book", "genre", "testament", "split"]
    _common.write_csv(os.path.join(out, "bible_kjv.csv"), header, rows)
    _common.write_spec(os.path.join(out, "spec.toml"),
                       "King James Bible verses (Debian bible-kjv-text 4.38); built by "
                       "scripts/datasets/build_bible_kjv.py",
                       "text", [("book", "multiclass", None), ("genre", "multiclass", None),
                                ("testament", "binary", ["old", "new"])], max_length=100)
    _common.report("bible_kjv", rows, tasks)


if __name__ == "__main__":
    main()
