"""Synthetic data at the shapes `mtl-tui bench` uses, shared by the Keras and PyTorch peers."""
import numpy as np

SHAPES = {
    "cnn": {"batch": 64, "tokens": 200, "vocabulary": 5000},
    "mlp": {"batch": 128, "tokens": 40, "vocabulary": 5000},
}
STEPS = 50


def data(model):
    s = SHAPES[model]
    rng = np.random.default_rng(7)
    n = s["batch"] * STEPS
    tokens = rng.integers(2, s["vocabulary"], size=(n, s["tokens"]), dtype=np.int32)
    y3 = rng.integers(0, 3, size=n, dtype=np.int32)
    y10 = rng.integers(0, 10, size=n, dtype=np.int32)
    if model == "cnn":
        return tokens, y3, y10
    tfidf = np.zeros((n, s["vocabulary"]), dtype=np.float32)
    for i in range(n):
        np.add.at(tfidf[i], tokens[i], 1.0)
    tfidf /= np.linalg.norm(tfidf, axis=1, keepdims=True)
    return tfidf, y3, y10


def report(framework, model, threads, train, infer):
    import json
    print(json.dumps({"framework": framework, "model": model, "threads": threads,
                      "train_samples_per_s": float(np.median(train)), "inference_samples_per_s": float(np.median(infer)),
                      "train_runs": train, "inference_runs": infer}))
