"""Reference figures for VADER polarity: scikit-learn baselines on the same corpus (run by hand).

    pip install scikit-learn numpy scipy
    python3 scripts/vader_baselines.py [path/to/vader_lexicon.txt]

Prints test macro-F1 for three stratified 10 % test splits (seeds 0-2):
- logistic regression (balanced) on word 1-2-gram TF-IDF, on + character 2-5-grams, + the
  shipped GloVe vectors (mean and max pooled), + VADER lexicon valences (if a lexicon is given,
  e.g. vaderSentiment's vader_lexicon.txt); C is picked from 1, 3, 10 ON THE TEST SPLIT, so
  these figures are an optimistic ceiling, not a fair score;
- with C = 3 fixed: plain, ordinal (two cumulative binary models), ridge regression on the score
  with two thresholds tuned on a validation split, and per-class logit offsets tuned on it.
"""
import csv, os, re, sys
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample-data", "vader-domains")
TOKEN = r"[a-z0-9']+|[^\sa-z0-9']"

rows = list(csv.DictReader(open(os.path.join(DATA, "vader_domains.csv"), encoding="utf-8", newline="")))
texts = [r["text"].lower() for r in rows]
tokens = [re.findall(TOKEN, t) for t in texts]
y = np.array([{"negative": 0, "neutral": 1, "positive": 2}[r["polarity"]] for r in rows])
score = np.array([float(r["score"]) for r in rows])

glove = {}
for line in open(os.path.join(DATA, "glove-6b-50d.txt"), encoding="utf-8"):
    word, *values = line.split(" ")
    glove[word] = np.array(values, dtype=np.float32)
def pooled(ts):
    m = [glove[t] for t in ts if t in glove]
    return np.concatenate([np.mean(m, 0), np.max(m, 0)]) if m else np.zeros(100)
G = np.array([pooled(t) for t in tokens])

L = None
if len(sys.argv) > 1:
    lexicon = {p[0]: float(p[1]) for p in (l.split("\t") for l in open(sys.argv[1], encoding="utf-8"))}
    def valence(ts):
        v = np.array([lexicon[t] for t in ts if t in lexicon])
        if len(v) == 0:
            return [0] * 6
        return [v.mean(), v.sum() / np.sqrt(len(ts)), v.min(), v.max(), (v > 0).sum() / len(ts), (v < 0).sum() / len(ts)]
    L = np.array([valence(t) for t in tokens])

Xw = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=TOKEN).fit_transform(texts)
Xc = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit_transform(texts)
macro = lambda truth, guess: f1_score(truth, guess, average="macro")
def lr(C=3):
    return LogisticRegression(C=C, max_iter=3000, class_weight="balanced")

for seed in (0, 1, 2):
    index = np.arange(len(rows))
    train_val, test = train_test_split(index, test_size=0.1, stratify=y, random_state=seed)
    Gs = csr_matrix(StandardScaler().fit(G[train_val]).transform(G) * 0.1)
    sets = [("words", Xw), ("words+chars", hstack([Xw, Xc])), ("words+chars+glove", hstack([Xw, Xc, Gs]))]
    if L is not None:
        Ls = csr_matrix(StandardScaler().fit(L[train_val]).transform(L) * 0.3)
        sets.append(("words+chars+glove+lexicon", hstack([Xw, Xc, Gs, Ls])))
    for name, X in sets:
        X = X.tocsr()
        best = max(macro(y[test], lr(C).fit(X[train_val], y[train_val]).predict(X[test])) for C in (1, 3, 10))
        print(f"seed {seed}  {name:28s} best-C macro-F1 {best:.3f}", flush=True)

    train, val = train_test_split(train_val, test_size=0.111, stratify=y[train_val], random_state=seed)
    plain = lr().fit(Xw[train], y[train])
    above = [lr().fit(Xw[train], y[train] > k) for k in (0, 1)]
    p1 = above[0].predict_proba(Xw[test])[:, 1]
    p2 = np.minimum(above[1].predict_proba(Xw[test])[:, 1], p1)
    ordinal = np.stack([1 - p1, p1 - p2, p2], 1).argmax(1)
    ridge = Ridge(alpha=1.0).fit(Xw[train], score[train])
    cuts = max(((lo, hi) for lo in np.arange(-1.5, 0.5, 0.05) for hi in np.arange(lo + 0.05, 1.5, 0.05)),
               key=lambda c: macro(y[val], np.digitize(ridge.predict(Xw[val]), c)))
    logv, logt = np.log(plain.predict_proba(Xw[val])), np.log(plain.predict_proba(Xw[test]))
    grid = [(a, 0, c) for a in np.arange(-1, 1.01, 0.1) for c in np.arange(-1, 1.01, 0.1)]
    offsets = max(grid, key=lambda o: macro(y[val], (logv + o).argmax(1)))
    print(f"seed {seed}  C=3: plain {macro(y[test], plain.predict(Xw[test])):.3f}  ordinal {macro(y[test], ordinal):.3f}  "
          f"ridge+thresholds {macro(y[test], np.digitize(ridge.predict(Xw[test]), cuts)):.3f}  "
          f"logit offsets {macro(y[test], (logt + offsets).argmax(1)):.3f}", flush=True)
