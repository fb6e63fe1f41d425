"""Synthetic data at the shapes `mtl-tui bench` uses, shared by the Keras and PyTorch peers.

gru: Embedding 5000x64 -> GRU 128 (unidirectional) -> [max || mean] over time -> heads 3 + 10.
"""
import numpy as np

SHAPES = {
    "cnn": {"batch": 64, "tokens": 200, "vocabulary": 5000},
    "mlp": {"batch": 128, "tokens": 40, "vocabulary": 5000},
    "gru": {"batch": 64, "tokens": 200, "vocabulary": 5000},
}
STEPS = 50


def data(model):
    s = SHAPES[model]
    rng = np.random.default_rng(7)
    n = s["batch"] * STEPS
    tokens = rng.integers(2, s["vocabulary"], size=(n, s["tokens"]), dtype=np.int32)
    y3 = rng.integers(0, 3, size=n, dtype=np.int32)
    y10 = rng.integers(0, 10, size=n, dtype=np.int32)
    if model in ("cnn", "gru"):
        return tokens, y3, y10
    tfidf = np.zeros((n, s["vocabulary"]), dtype=np.float32)
    for i in range(n):
        np.add.at(tfidf[i], tokens[i], 1.0)
    tfidf /= np.linalg.norm(tfidf, axis=1, keepdims=True)
    return tfidf, y3, y10


def report(framework, model, threads, train, infer, train_cpu=None, infer_cpu=None):
    """Samples/s of each repeat by the wall clock; `*_cpu` by the process's CPU time, which a
    busy machine's other processes do not inflate as much."""
    import json
    result = {"framework": framework, "model": model, "threads": threads,
              "train_samples_per_s": float(np.median(train)), "inference_samples_per_s": float(np.median(infer)),
              "train_runs": train, "inference_runs": infer}
    if train_cpu:
        result["train_cpu_samples_per_s"] = float(np.median(train_cpu))
        result["inference_cpu_samples_per_s"] = float(np.median(infer_cpu))
    print(json.dumps(result))
