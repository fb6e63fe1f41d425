"""A multi-label text set from WordNet, and scikit-learn's one-vs-rest baseline on it.

    python3 scripts/wordnet_multilabel.py build WORDNET_DICT_DIR OUT_DIR   # Debian: package wordnet-base
    python3 scripts/wordnet_multilabel.py baseline OUT_DIR                 # needs scikit-learn

Each row is a dictionary entry (a lemma): its text the definitions of all its senses, its labels
the set of WordNet lexicographer files (noun.animal, verb.motion, ... 45 in all) its senses fall
in; 2,369 of the 20,000 sampled rows have more than one label, the rarest labels a handful of
rows. `build` writes OUT_DIR/train/ (all rows, split_column "part": 16,000 train / 2,000 val /
2,000 test) and OUT_DIR/test/ (the held-back test rows alone, for `mtl-tui eval`), each with a
spec.toml. `baseline` fits TF-IDF 1-2-grams + LogisticRegression (C=10) one-vs-rest on the
train rows and prints test macro-F1, micro-F1 and subset accuracy.
"""
import csv
import os
import random
import re
import sys

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body
noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive
noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation
noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition verb.communication
verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion verb.perception
verb.possession verb.social verb.stative verb.weather adj.ppl""".split()

SPEC = '''id = "id"
{split}
[[input]]
column = "text"
kind = "text"

[[task]]
name = "lexnames"
kind = "multilabel"
'''


def build(dictionary, out, rows=20000, seed=42):
    lemmas = {}
    for pos in ["noun", "verb", "adj", "adv"]:
        for line in open(os.path.join(dictionary, f"data.{pos}"), encoding="latin-1"):
            if line.startswith("  "):
                continue  # the licence header
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            lexname = LEXNAMES[int(fields[1])]
            words = [fields[4 + 2 * i].lower() for i in range(int(fields[3], 16))]
            definition = gloss.strip().split('; "')[0]  # without the example sentences
            for word in words:
                entry = lemmas.setdefault(re.sub(r"\(.*\)$", "", word), ([], set()))
                entry[0].append(definition)
                entry[1].add(lexname)
    keys = sorted(lemmas)
    random.Random(seed).shuffle(keys)
    table = []
    for i, key in enumerate(keys[:rows]):
        definitions, labels = lemmas[key]
        part = "train" if i < rows * 0.8 else ("val" if i < rows * 0.9 else "test")
        table.append((key, " ; ".join(definitions), "|".join(sorted(labels)), part))
    header = ["id", "text", "lexnames", "part"]
    for name, selected, split in [("train", table, 'split_column = "part"\n'),
                                  ("test", [r for r in table if r[3] == "test"], "")]:
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "wordnet.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(selected)
        with open(os.path.join(out, name, "spec.toml"), "w") as f:
            f.write(SPEC.format(split=split))


def baseline(out):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    rows = list(csv.DictReader(open(os.path.join(out, "train", "wordnet.csv"))))
    train = [r for r in rows if r["part"] == "train"]
    test = [r for r in rows if r["part"] == "test"]
    binarizer = MultiLabelBinarizer().fit([r["lexnames"].split("|") for r in rows])
    y_train = binarizer.transform([r["lexnames"].split("|") for r in train])
    y_test = binarizer.transform([r["lexnames"].split("|") for r in test])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    x_train = vectorizer.fit_transform([r["text"] for r in train])
    x_test = vectorizer.transform([r["text"] for r in test])
    model = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=10)).fit(x_train, y_train)
    predicted = model.predict(x_test)
    print(f"test macro-F1 {f1_score(y_test, predicted, average='macro', zero_division=0):.3f} "
          f"micro-F1 {f1_score(y_test, predicted, average='micro', zero_division=0):.3f} "
          f"subset accuracy {accuracy_score(y_test, predicted):.3f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "baseline":
        baseline(sys.argv[2])
    else:
        sys.exit(__doc__)
