#!/usr/bin/env python3
"""Build debian_packages: every binary package of Debian 12 main (amd64) with its description.

SOURCE
  origin:   Debian's archive index for "bookworm" main/binary-amd64, read with apt itself:
            `Packages` (short description, Section, Architecture, debtags `Tag:` field) and
            `i18n/Translation-en` (the long descriptions). This machine's apt config turns the
            translations off, so the script runs `apt-get update -o Acquire::Languages=en` into its
            own lists and cache directories (OUTDIR/.apt-debian/apt-lists, apt-cache): the
            system's package lists are not touched, and an existing copy there is reused.
            The snapshot's date is the InRelease `Date:` printed by the build (see README.md).
  license:  package descriptions are part of each package's Debian packaging, distributed under
            its package's free licence; debtags are the Debian community's tag database.
  fetched:  only through apt from the Debian archive (the one package registry used).

Tasks per package (short-to-medium texts, a fine multiclass task, a multi-label task):
  section   multiclass, the archive section (60 in main; those under 100 packages are blanked)
  tags      multilabel, the debtags that at least 300 packages carry (about 50, `::TODO` tags
            excluded); a tagged package with none of them gets `other`; untagged packages
            (about half) have no label for this task
  arch_all  binary: Architecture `all` (no compiled code: data, docs, scripts) or not

Text: the short description, then the long description (paragraph marks removed). The split
keeps every binary package of one source package, and every identical text, in one split.

Usage: build_debian_packages.py [OUTDIR]   (default datasets-build/), writes
OUTDIR/debian_packages/debian_packages.csv and OUTDIR/debian_packages/spec.toml.
Needs root for apt-get update and the `lz4` program (build_all.sh installs it).
"""

import glob
import os
import re
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

MIN_TAG = 300
MIN_SECTION = 100
SUITE = "bookworm"


def fetch_lists(work):
    """apt-get update with English translations into private lists/cache dirs; reuse if present."""
    lists = os.path.join(work, "apt-lists")
    translations = os.path.join(lists, f"*_{SUITE}_main_i18n_Translation-en*")
    # apt-get update has once exited 0 with nothing fetched while another apt ran: try again.
    for attempt in range(3):
        if glob.glob(translations):
            break
        if attempt:
            time.sleep(10)
        os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
        os.makedirs(os.path.join(work, "apt-cache", "archives", "partial"), exist_ok=True)
        subprocess.run(["apt-get", "update", "-qq", "-o", f"Dir::State::Lists={lists}",
                        "-o", f"Dir::Cache={os.path.join(work, 'apt-cache')}",
                        "-o", "Acquire::Languages=en"], check=True)
    return lists


def read_index(lists, pattern):
    """The text of one apt index file (lz4, gz, xz or plain, as apt stored it)."""
    files = sorted(glob.glob(os.path.join(lists, pattern)))
    if not files:
        raise SystemExit(f"no {pattern} in {lists}")
    path = files[0]
    tool = {".lz4": ["lz4cat"], ".gz": ["zcat"], ".xz": ["xzcat"]}.get(os.path.splitext(path)[1])
    data = subprocess.run(tool + [path], capture_output=True, check=True).stdout if tool else open(path, "rb").read()
    return data.decode("utf-8", errors="replace")


def stanzas(text):
    """Deb822 paragraphs as dicts; continuation lines kept with their newlines."""
    for block in text.split("\n\n"):
        fields, key = {}, None
        for line in block.split("\n"):
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields:
            yield fields


def long_text(description):
    """Short description, then the long one: ' .' paragraph marks dropped, lines stripped."""
    lines = description.split("\n")
    body = [l.strip() for l in lines[1:] if l.strip() != "."]
    return "\n".join([lines[0].strip()] + body).strip()


def find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def main():
    out = _common.output_dir(sys.argv, "debian_packages")
    # apt's files live beside the dataset directories, not in one (mtl-tui reads a whole directory)
    lists = fetch_lists(os.path.join(os.path.dirname(out), ".apt-debian"))
    release = read_index(lists, f"*_dists_{SUITE}_InRelease")
    date = re.search(r"^Date: (.*)$", release, re.M).group(1)
    translations = {}
    for s in stanzas(read_index(lists, f"*_dists_{SUITE}_main_i18n_Translation-en*")):
        if "Description-md5" in s and "Description-en" in s:
            translations[s["Description-md5"]] = s["Description-en"]
    rows, missing = [], 0
    for s in stanzas(read_index(lists, f"*_dists_{SUITE}_main_binary-amd64_Packages*")):
        if "Package" not in s:
            continue
        description = translations.get(s.get("Description-md5", ""))
        if description is None:
            missing += 1
            description = s.get("Description", "")
        tags = [t.strip() for t in s.get("Tag", "").replace("\n", " ").split(",") if t.strip()]
        source = s.get("Source", s["Package"]).split(" ")[0]
        rows.append({"id": s["Package"], "text": long_text(description),
                     "section": s.get("Section", "").split("/")[-1],
                     "tags": [t for t in tags if "TODO" not in t], "tagged": bool(tags),
                     "arch_all": "yes" if s.get("Architecture") == "all" else "no", "source": source})
    # Split groups: a source package's binaries and identical texts share one split (union-find).
    parent = {}
    for r in rows:
        for node in ("src:" + r["source"], "txt:" + _common.normalise(r["text"])):
            parent.setdefault(node, node)
        a, b = find(parent, "src:" + r["source"]), find(parent, "txt:" + _common.normalise(r["text"]))
        if a != b:
            parent[max(a, b)] = min(a, b)
    for r in rows:
        r["split"] = _common.split_of(find(parent, "src:" + r["source"]))
    counts = Counter(t for r in rows for t in r["tags"])
    kept = {t for t, n in counts.items() if n >= MIN_TAG}
    for r in rows:
        chosen = sorted(t for t in r["tags"] if t in kept)
        r["tags"] = "|".join(chosen) if chosen else ("other" if r["tagged"] else "")
    tasks = {"section": "multiclass", "tags": "multilabel", "arch_all": "binary"}
    blanked = _common.drop_rare_and_unseen(rows, {"section": "multiclass"}, min_count=MIN_SECTION)
    blanked.update(_common.drop_rare_and_unseen(rows, {"tags": "multilabel", "arch_all": "binary"}))
    for column, labels in blanked.items():
        print(f"  blanked {column}: {', '.join(labels)}", file=sys.stderr)
    print(f"  archive date {date}; {missing} packages without a long description", file=sys.stderr)
    _common.write_csv(os.path.join(out, "debian_packages.csv"),
                      ["id", "text", "section", "tags", "arch_all", "split"], rows)
    _common.write_spec(os.path.join(out, "spec.toml"),
                       f"Debian {SUITE} main amd64 package descriptions, archive date {date}; "
                       "built by scripts/datasets/build_debian_packages.py",
                       "text", [("section", "multiclass", None), ("tags", "multilabel", None),
                                ("arch_all", "binary", ["no", "yes"])], max_length=200)
    _common.report("debian_packages", rows, tasks)


if __name__ == "__main__":
    main()
