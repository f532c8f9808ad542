"""Probe benchmark: instrumentation overhead, and the first probe against a warm one.

Prints, measured in one run on this machine:
- the first probe (kernel start, TensorFlow import, the cells) and the same probe again, warm;
- the overhead: the same cells in the same warm kernel with and without the probe's
  instrumentation, alternated and repeated, as a ratio of medians (goal <= 1.05x).

Not a test: timings on a shared machine are noisy, so it reports ratios instead of asserting.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from shapelens.probe.cells import Cell
from shapelens.probe.runner import Prober

SETUP = """
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
"""

# A realistic notebook workload: data prep, a CNN built and trained for an epoch, a custom
# training loop whose body assigns tensors on every step (the instrumentation's worst case).
CELLS = [
    """
images = np.random.rand(512, 28, 28, 1).astype("float32")
labels = np.random.randint(0, 10, size=(512,))
scaled = images / 255.0
""",
    """
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(16, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(scaled, labels, batch_size=64, epochs=1, verbose=0)
probs = model.predict(scaled[:128], verbose=0)
""",
    """
dense = layers.Dense(32)
opt = keras.optimizers.SGD(0.01)
batch = tf.random.normal((64, 16))
for step in range(200):
    with tf.GradientTape() as tape:
        hidden = dense(batch)
        loss = tf.reduce_mean(tf.square(hidden))
    grads = tape.gradient(loss, dense.trainable_variables)
    opt.apply_gradients(zip(grads, dense.trainable_variables))
""",
]


def run_cells(prober: Prober, instrument: bool) -> list[float]:
    seconds = []
    for n, code in enumerate(CELLS, start=1):
        reply = prober.session.run(code, "/bench/cells.py", 100 * n, 600, instrument=instrument)
        assert reply.get("ok") and reply.get("status") == "ok", reply
        seconds.append(float(reply["seconds"]))
    return seconds


def main() -> int:
    rounds = 7
    prober = Prober(sys.executable)
    try:
        start = time.perf_counter()
        first = prober.probe("/bench/setup.py", Cell(1, 1, SETUP))
        run_cells(prober, instrument=True)
        cold = time.perf_counter() - start
        assert first.status == "ok", first.message
        start = time.perf_counter()
        prober.probe("/bench/setup.py", Cell(1, 1, SETUP))
        run_cells(prober, instrument=True)
        warm = time.perf_counter() - start
        plain: list[list[float]] = []
        probed: list[list[float]] = []
        for _ in range(rounds):  # alternated, so load on the machine hits both alike
            plain.append(run_cells(prober, instrument=False))
            probed.append(run_cells(prober, instrument=True))
    finally:
        prober.close()
    print("shape probe benchmark (same machine, same run)")
    print(f"  first probe (kernel start + TF import + cells): {cold:7.2f} s")
    print(f"  warm probe of the same cells:                   {warm:7.2f} s  -> first/warm {cold / warm:5.1f}x")
    print(f"  per cell, median of {rounds} (plain -> probed):")
    total_plain = total_probed = 0.0
    for n in range(len(CELLS)):
        a = statistics.median(r[n] for r in plain)
        b = statistics.median(r[n] for r in probed)
        total_plain += a
        total_probed += b
        print(f"    cell {n + 1}: {a:7.3f} s -> {b:7.3f} s  ({b / a:5.2f}x, +{(b - a) * 1000:5.1f} ms)")
    print(f"  all cells: {total_plain:.3f} s -> {total_probed:.3f} s")
    print(f"  overhead: {total_probed / total_plain:.3f}x  (goal <= 1.05x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
