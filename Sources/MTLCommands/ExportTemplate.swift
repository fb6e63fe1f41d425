/// The Python file `mtl-tui export --pytorch` writes: `@SUMMARY@`, `@CONFIG@` (the model and
/// encoder as base64 JSON) and `@MISSING@` (the cells a numeric column reads as missing) are filled in. Kept here, in one place, so the binary needs no resource files.
let pytorchExportTemplate = #"""
"""A PyTorch copy of an mtl-tui checkpoint (@SUMMARY@), written by `mtl-tui export --pytorch`.

    python3 THIS.py CHECKPOINT/model.safetensors DATA.csv    # one JSON line of outputs per row
    from THIS import load; model = load("CHECKPOINT/model.safetensors"); model.predict([{"text": "..."}])

The encoder (tokenizer, vocabulary, TF-IDF, feature scaling, classes) is embedded below, so
this file and the weights are all it needs. Needs torch; `safetensors` is used when installed.
"""

import base64
import csv
import json
import struct
import sys
import unicodedata

import torch
from torch import nn

CONFIG = json.loads(base64.b64decode("@CONFIG@").decode("utf-8"))
MODEL, ENCODER = CONFIG["model"], CONFIG["encoder"]
# What a numeric cell may hold for "no value" besides nothing (R's NA, pandas's NaN, ...).
MISSING_NUMBERS = set(json.loads(base64.b64decode("@MISSING@").decode("utf-8")))


def cell(row, column):
    """A row's cell as text, as mtl-tui reads it from a file: absent, None or a float NaN is
    empty, and a number is written out (rows may come from pandas or JSON, not only a CSV)."""
    value = row.get(column)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # pandas makes an integer column with gaps float: 3.0 is the category "3"
    return value if isinstance(value, str) else str(value)


def read_safetensors(path):
    """Tensors by name: `safetensors` when installed, else the format read directly
    (8-byte little-endian header length, JSON header, little-endian data)."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError("%s: tensor %s has dtype %s, expected F32" % (path, name, entry["dtype"]))
        begin, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32) if end > begin else torch.zeros(0)
        tensors[name] = values.reshape(entry["shape"])
    return tensors


def tokens(text):
    """mtl-tui's tokenizer: runs of letters, digits, apostrophes and combining marks are words;
    every other visible character is a token of its own; whitespace and controls separate."""
    out, word = [], []
    for ch in text.lower():
        category = unicodedata.category(ch)
        if ch.isalpha() or category in ("Mn", "Mc", "Nl") or unicodedata.numeric(ch, None) is not None or ch == "'":
            word.append(ch)
            continue
        if word:
            out.append("".join(word))
            word = []
        if not ch.isspace() and ord(ch) >= 0x20:
            out.append(ch)
    if word:
        out.append("".join(word))
    return out


class Encoder:
    """Rows (dicts of column → string, "" for missing) to token ids and the dense feature block."""

    def __init__(self, config):
        self.text = config.get("text")
        self.grams = self.chars = None
        if self.text:
            self.index = {t: i for i, t in enumerate(self.text["vocabulary"]["tokens"])}
            self.idf = self.text["idf"]
            grams = self.text.get("ngrams")
            self.grams = {g: i for i, g in enumerate(grams["grams"])} if grams else None
            self.gram_idf = grams["idf"] if grams else None
            chars = grams.get("characters") if grams else None
            self.words = len(grams["grams"]) if grams else 0
            self.chars = {g: self.words + i for i, g in enumerate(chars["grams"])} if chars else None
            if chars:
                self.gram_idf = self.gram_idf + chars["idf"]
        self.numeric = config.get("numeric", [])
        self.categorical = config.get("categorical", [])
        self.width = sum(2 if n["missingIndicator"] else 1 for n in self.numeric) + sum(len(c["categories"]) + 1 for c in self.categorical)

    def ids(self, row):
        words = tokens(cell(row, self.text["column"]))[:self.text["maxLength"]]
        return [self.index.get(w, 1) for w in words]

    def ngrams(self, row):
        """Word 1-2-grams of the whole text (not cut at the max length) in the vocabulary, then
        character 2-5-grams inside each space-padded word if the model has them: ids, counts."""
        words, found = tokens(cell(row, self.text["column"])), {}
        for i, word in enumerate(words):
            for gram in ([word] + ([words[i - 1] + " " + word] if i > 0 else [])):
                if gram in self.grams:
                    found[self.grams[gram]] = found.get(self.grams[gram], 0) + 1
        for word in (words if self.chars is not None else []):
            padded = " " + word + " "
            for start in range(len(padded) - 1):
                for end in range(start + 2, min(start + 5, len(padded)) + 1):
                    j = self.chars.get(padded[start:end])
                    if j is not None:
                        found[j] = found.get(j, 0) + 1
        ids = sorted(found)
        return ids, [float(found[i]) for i in ids]

    def wide(self, ids, counts):
        """The wide path's n-gram input: (1 + ln tf) * idf, the word and the character n-grams
        each L2-normalised."""
        vector = torch.zeros(len(self.gram_idf))
        for i, c in zip(ids, counts):
            vector[i] = (1 + torch.log(torch.tensor(c))) * self.gram_idf[i]
        for block in (vector[:self.words], vector[self.words:]):
            norm = block.norm()
            if norm > 0:
                block /= norm
        return vector

    def tfidf(self, ids):
        """Unigram TF-IDF over the vocabulary (padding and unknown skipped), L2-normalised."""
        vector = torch.zeros(len(self.idf))
        for i in ids:
            if i > 1:
                vector[i] += 1
        vector = vector * torch.tensor(self.idf, dtype=torch.float32)
        norm = vector.norm()
        return vector / norm if norm > 0 else vector

    def features(self, row):
        out = []
        for n in self.numeric:
            value = cell(row, n["column"]).strip()
            if value == "" or value in MISSING_NUMBERS:
                out += [0.0, 1.0] if n["missingIndicator"] else [0.0]
            else:
                out.append((float(value) - n["mean"]) / n["std"])
                if n["missingIndicator"]:
                    out.append(0.0)
        for c in self.categorical:
            slots = [0.0] * (len(c["categories"]) + 1)
            value = cell(row, c["column"])
            if value == "" and "" not in c["categories"]:
                # pandas reads a category such as NA as NaN; a column trained with one such
                # marker (and never an empty cell) meant that marker.
                markers = [m for m in c["categories"] if m in MISSING_NUMBERS]
                if len(markers) == 1:
                    value = markers[0]
            slots[c["categories"].index(value) if value in c["categories"] else len(c["categories"])] = 1.0
            out += slots
        return torch.tensor(out, dtype=torch.float32)


class MultiTask(nn.Module):
    """The trunk (`trunk.*`) and one linear head per task (`head.TASK`), named as the checkpoint."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        trunk = {}
        if config["trunk"] == "cnn":
            trunk["embedding"] = nn.Embedding(config["vocabulary"], config["embedding"])
            trunk["conv"] = nn.Conv1d(config["embedding"], config["filters"], config["kernel"])
            width = config["filters"] + config["features"]
        elif config["trunk"] == "gru":
            trunk["embedding"] = nn.Embedding(config["vocabulary"], config["embedding"])
            trunk["gru"] = nn.GRU(config["embedding"], config["recurrent"], batch_first=True,
                                  bidirectional=config["bidirectional"])
            width = 2 * (2 if config["bidirectional"] else 1) * config["recurrent"] + config["features"]
        elif config["trunk"] == "bag":
            trunk["embedding"] = nn.Embedding(config["ngrams"], config["embedding"])
            width = config["embedding"] + config["features"]
        else:
            width = config["vocabulary"] + config["features"]
        hidden = config["hidden"]
        self.dense = ["dense"] if len(hidden) == 1 else ["dense%d" % (i + 1) for i in range(len(hidden))]
        for name, units in zip(self.dense, hidden):
            trunk[name] = nn.Linear(width, units)
            width = units
        self.trunk = nn.ModuleDict(trunk)
        self.head = nn.ModuleDict({h["name"]: nn.Linear(width, h["outputs"]) for h in config["heads"]})
        if config["wide"]:   # a linear path over the n-gram TF-IDF and the features, added to each head's logits
            inputs = config["ngrams"] + config["features"]
            self.wide = nn.ModuleDict({h["name"]: nn.Linear(inputs, h["outputs"]) for h in config["heads"]})

    def forward(self, ids, features, tfidf, grams=None, wide=None):
        """One row: token ids [L] (cnn), features [D], TF-IDF [V] (mlp over text), n-gram ids and
        counts (bag), the wide input [N + D]. Logits by task."""
        if self.config["trunk"] == "bag":
            gram_ids, counts = grams
            x = torch.zeros(self.config["embedding"])
            if gram_ids:   # the mean of the known n-grams' embeddings
                weights = torch.tensor(counts, dtype=torch.float32) / sum(counts)
                x = (weights.unsqueeze(1) * self.trunk["embedding"](torch.tensor(gram_ids, dtype=torch.long))).sum(0)
            x = torch.cat([x, features])
        elif self.config["trunk"] == "gru":
            ids = ids + [0] * max(0, self.config["kernel"] - len(ids))   # an empty text reads one padding token
            out, _ = self.trunk["gru"](self.trunk["embedding"](torch.tensor(ids, dtype=torch.long)).unsqueeze(0))
            x = torch.cat([out[0].amax(dim=0), out[0].mean(dim=0), features])   # max and mean over time
        elif self.config["trunk"] == "cnn":
            ids = ids + [0] * max(0, self.config["kernel"] - len(ids))   # padded to the kernel width
            x = self.trunk["embedding"](torch.tensor(ids, dtype=torch.long)).t().unsqueeze(0)
            x = torch.relu(self.trunk["conv"](x)).amax(dim=2)[0]
            x = torch.cat([x, features])
        else:
            x = torch.cat([tfidf, features]) if tfidf is not None else features
        for name in self.dense:
            x = torch.relu(self.trunk[name](x))
        logits = {name: head(x) for name, head in self.head.items()}
        if wide is not None:
            logits = {name: z + self.wide[name](wide) for name, z in logits.items()}
        return logits


class Predictor:
    def __init__(self, weights):
        self.encoder = Encoder(ENCODER)
        self.model = MultiTask(MODEL)
        self.model.load_state_dict(weights)
        self.model.eval()
        self.tasks = {t["spec"]["name"]: t for t in ENCODER["tasks"]}

    def predict(self, rows):
        """Per row: {"probabilities": {task: [per class]}, "values": {task: value}} as `mtl-tui predict`."""
        out = []
        with torch.no_grad():
            for row in rows:
                ids = self.encoder.ids(row) if self.encoder.text else []
                tfidf = self.encoder.tfidf(ids) if self.encoder.text and MODEL["trunk"] == "mlp" else None
                features = self.encoder.features(row)
                grams = self.encoder.ngrams(row) if self.encoder.grams is not None else None
                wide = torch.cat([self.encoder.wide(*grams), features]) if MODEL["wide"] else None
                logits = self.model(ids, features, tfidf, grams, wide)
                result = {"probabilities": {}, "values": {}}
                for head in MODEL["heads"]:
                    z, task = logits[head["name"]], self.tasks[head["name"]]
                    kind = head["kind"]
                    if kind == "multiclass":
                        result["probabilities"][head["name"]] = torch.softmax(z, 0).tolist()
                    elif kind == "binary":
                        p = torch.sigmoid(z[0]).item()
                        result["probabilities"][head["name"]] = [1 - p, p]
                    elif kind == "multilabel":
                        result["probabilities"][head["name"]] = torch.sigmoid(z).tolist()
                    else:
                        result["values"][head["name"]] = z[0].item() * task["std"] + task["mean"]
                out.append(result)
        return out


def load(weights_path):
    return Predictor(read_safetensors(weights_path))


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: %s WEIGHTS.safetensors DATA.csv|DATA.tsv" % argv[0])
    delimiter = "\t" if argv[2].endswith(".tsv") else ","
    with open(argv[2], encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=delimiter))
    for result in load(argv[1]).predict(rows):
        print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
"""#
