"""The bench models as a Keras 3 user writes them (run with KERAS_BACKEND=jax)."""
import sys
import time

import keras
from keras import layers

from models import SHAPES, data, report

model_name, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = SHAPES[model_name]
x, y3, y10 = data(model_name)
if model_name == "cnn":
    inp = keras.Input((s["tokens"],), dtype="int32")
    h = layers.Embedding(s["vocabulary"], 64)(inp)
    h = layers.Conv1D(128, 5, activation="relu")(h)
    h = layers.GlobalMaxPooling1D()(h)
    h = layers.Dense(64, activation="relu")(h)
elif model_name == "gru":
    inp = keras.Input((s["tokens"],), dtype="int32")
    h = layers.Embedding(s["vocabulary"], 64)(inp)
    h = layers.GRU(128, return_sequences=True)(h)
    h = layers.Concatenate()([layers.GlobalMaxPooling1D()(h), layers.GlobalAveragePooling1D()(h)])
else:
    inp = keras.Input((s["vocabulary"],))
    h = layers.Dense(256, activation="relu")(inp)
    h = layers.Dense(128, activation="relu")(h)
out3 = layers.Dense(3, activation="softmax", name="a")(h)
out10 = layers.Dense(10, activation="softmax", name="b")(h)
model = keras.Model(inp, [out3, out10])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=["sparse_categorical_crossentropy"] * 2)
model.fit(x, [y3, y10], batch_size=s["batch"], epochs=1, verbose=0)       # compile and warm up
model.predict(x, batch_size=s["batch"], verbose=0)
train, infer, train_cpu, infer_cpu = [], [], [], []
for _ in range(repeats):
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, [y3, y10], batch_size=s["batch"], epochs=1, verbose=0, shuffle=False)
    train.append(len(x) / (time.perf_counter() - start))
    train_cpu.append(len(x) / (time.process_time() - cpu))
    start, cpu = time.perf_counter(), time.process_time()
    model.predict(x, batch_size=s["batch"], verbose=0)
    infer.append(len(x) / (time.perf_counter() - start))
    infer_cpu.append(len(x) / (time.process_time() - cpu))
report("keras-jax", model_name, threads, train, infer, train_cpu, infer_cpu)
