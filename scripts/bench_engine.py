"""Engine benchmark, measured in one run on this machine.

1. A generated 1,000-line Keras file: static engine time vs TensorFlow importing and building the
   same models (a fresh ``python FILE`` process). Goal: engine >= 200x faster.
2. Engine time at 100 / 1,000 / 10,000 lines of the same kind of code. Goal: linear
   (time per line roughly constant).

Prints ratios only from measurements taken in this run. Usage: python scripts/bench_engine.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shapelens.core.analysis import analyze_source

HEADER = """\
import numpy as np
import tensorflow as tf
import keras
from keras import layers
"""


def block(i: int) -> str:
    h = 16 + 8 * (i % 4)
    f = 8 * (1 + i % 3)
    u = 16 * (1 + i % 5)
    d = 4 + i % 7
    return f"""
inp_{i} = keras.Input(shape=({h}, {h}, 3))
x = layers.Conv2D({f}, 3, padding="same", activation="relu")(inp_{i})
x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D({2 * f}, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense({u}, activation="relu")(x)
out_{i} = layers.Dense(10)(x)
model_{i} = keras.Model(inp_{i}, out_{i})
seq_{i} = keras.Sequential([
    keras.Input(shape=({d},)),
    layers.Dense({u}),
    layers.Dropout(0.1),
    layers.Dense(1),
])
"""


def generate(lines: int) -> str:
    parts = [HEADER]
    total = HEADER.count("\n")
    i = 0
    while total < lines:
        b = block(i)
        parts.append(b)
        total += b.count("\n")
        i += 1
    return "".join(parts)


def engine_seconds(text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        analyze_source(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tensorflow_seconds(text: str) -> float:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "models.py"
        path.write_text(text)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(path)], check=True, env=env, capture_output=True)
        return time.perf_counter() - t0


def main() -> None:
    text_1k = generate(1000)
    n_lines = text_1k.count("\n")
    engine_1k = engine_seconds(text_1k, repeat=7)
    tf_1k = tensorflow_seconds(text_1k)
    print(f"1. {n_lines}-line Keras file ({text_1k.count('keras.Model(') * 2} models)")
    print(f"   shapelens engine          : {engine_1k * 1000:8.1f} ms")
    print(f"   TensorFlow import + build : {tf_1k * 1000:8.1f} ms")
    print(f"   engine is {tf_1k / engine_1k:,.0f}x faster (goal >= 200x)")
    print()
    print("2. engine time vs file size")
    base = None
    for lines in (100, 1000, 10000):
        text = generate(lines)
        actual = text.count("\n")
        secs = engine_seconds(text, repeat=5 if lines < 10000 else 3)
        per_line = secs / actual * 1e6
        base = base or per_line
        print(
            f"   {actual:6d} lines: {secs * 1000:8.1f} ms  ({per_line:6.1f} us/line, "
            f"{per_line / base:4.2f}x the 100-line cost per line)"
        )


if __name__ == "__main__":
    main()
