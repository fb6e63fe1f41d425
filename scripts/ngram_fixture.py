"""Prints the scikit-learn reference values that Tests/MTLDataTests/NGramTests.swift inlines.

Run by hand (the tests need no Python):
    python3 -m venv /tmp/skenv && /tmp/skenv/bin/pip install scikit-learn
    /tmp/skenv/bin/python scripts/ngram_fixture.py

The documents are already tokens (what mtl-tui's Tokenizer makes of them, punctuation included);
scikit-learn gets them through an identity preprocessor and tokenizer and forms the bigrams
itself (ngram_range=(1, 2), joined by a space), so both the n-grams and the numbers are its own.
"""
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

TRAIN = [
    ["good", "film", "!", "really", "good", "film", "."],
    ["bad", "film", ".", "really", "bad", "."],
    ["good", "acting", ",", "bad", "plot", "!", "!"],
    ["really", "good", "!", ":", ")"],
    [],
    ["café", "good", "film", "café", "good", "film"],
    ["bad", "plot", ".", "bad", "acting", ".", "café"],
    ["plot", ":", ")", "acting", ":", ")"],
]
UNSEEN = [["really", "good", "film", "!", "new", "words", ":", ")"], ["nothing", "known"]]


def identity(tokens):
    return tokens


def vectorizer(**extra):
    return TfidfVectorizer(preprocessor=identity, tokenizer=identity, token_pattern=None, lowercase=False,
                           ngram_range=(1, 2), sublinear_tf=True, min_df=2, **extra)


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rows(v, matrix):
    names = v.get_feature_names_out()
    out = []
    for r in range(matrix.shape[0]):
        row = matrix.getrow(r)
        pairs = sorted(zip(row.indices, row.data), key=lambda p: names[p[0]])
        out.append("[" + ", ".join(f"{swift_string(names[i])}: {x:.9g}" for i, x in pairs) + "]")
    return out


def main():
    print(f"// scikit-learn {sklearn.__version__}, scripts/ngram_fixture.py")
    v = vectorizer()
    train = v.fit_transform(TRAIN)
    names = v.get_feature_names_out()
    print("idf: [" + ", ".join(f"{swift_string(n)}: {x:.9g}" for n, x in zip(names, v.idf_)) + "]")
    print("train: [\n    " + ",\n    ".join(rows(v, train)) + "]")
    print("unseen: [\n    " + ",\n    ".join(rows(v, v.transform(UNSEEN))) + "]")

    # max_features keeps the most frequent by total count; check there is no tie at the cut,
    # where scikit-learn's order would be arbitrary.
    k = 6
    counts = {}
    for doc in TRAIN:
        grams = doc + [a + " " + b for a, b in zip(doc, doc[1:])]
        for g in grams:
            counts[g] = counts.get(g, 0) + 1
    ranked = sorted((c for g, c in counts.items() if g in set(names)), reverse=True)
    assert ranked[k - 1] > ranked[k], "tie at the max_features cut"
    capped = vectorizer(max_features=k)
    capped.fit(TRAIN)
    print(f"capped {k}: [" + ", ".join(swift_string(n) for n in capped.get_feature_names_out()) + "]")


if __name__ == "__main__":
    main()
