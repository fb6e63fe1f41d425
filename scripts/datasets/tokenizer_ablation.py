#!/usr/bin/env python3
"""Does mtl-tui's tokenizer explain a gap to the linear baseline? The baseline's model
(TF-IDF word 1-2-grams, min_df 2, sublinear tf; liblinear one-vs-rest) on one task, with
scikit-learn's tokens or with mtl-tui's (words with apostrophes, every other visible character a
token of its own, one-letter words kept), printing validation and test macro-F1 at each C.

Usage: tokenizer_ablation.py DIR TASK default|ours C[,C...]   (DIR as linear_baseline.py takes it)
Example: tokenizer_ablation.py datasets-build/debian_packages section ours 10,30,100,300
"""

import re
import sys
import time
import warnings

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier

import linear_baseline


def ours(text):
    """mtl-tui's Tokenizer.tokens, as the exported module writes it."""
    return re.findall(r"[\w']+|[^\w\s]", text.lower())


def main():
    if len(sys.argv) != 5 or sys.argv[3] not in ("default", "ours"):
        raise SystemExit(__doc__)
    directory, task_name, mode, grid = sys.argv[1:]
    warnings.filterwarnings("ignore")
    data, spec_path = linear_baseline.resolve(type("Args", (), {"data": directory, "spec": None})())
    rows, spec, text = linear_baseline.load(data, spec_path)
    task = next(t for t in spec["task"] if t["name"] == task_name)
    column = task.get("column", task_name)
    labelled = [r for r in rows if r.get(column, "") != ""]
    part = {s: [r for r in labelled if r[spec["split_column"]] == s] for s in ("train", "val", "test")}
    settings = dict(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    if mode == "ours":
        settings.update(tokenizer=ours, token_pattern=None, lowercase=False)
    vectorizer = TfidfVectorizer(**settings)
    x = {"train": vectorizer.fit_transform([r[text] for r in part["train"]])}
    for s in ("val", "test"):
        x[s] = vectorizer.transform([r[text] for r in part[s]])
    y = {s: [r[column] for r in part[s]] for s in part}
    print(f"{mode}: {x['train'].shape[1]} features", flush=True)
    for C in (float(c) for c in grid.split(",")):
        start = time.time()
        model = OneVsRestClassifier(LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000))
        model.fit(x["train"], y["train"])
        f1 = {s: f1_score(y[s], model.predict(x[s]), average="macro", zero_division=0) for s in ("val", "test")}
        print(f"{mode} C={C:g}: val {f1['val']:.4f} test {f1['test']:.4f} ({time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
