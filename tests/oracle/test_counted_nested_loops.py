"""Long loops that append to a list through a nested ``for`` over an unchanging ``range``
(``for _ in range(N): for _ in range(CFG["k"]): xs.append(...)``) give the list a known length;
a nested range the outer body changes, or a list a called function can reach, stays unknown.
Compared with what numpy gives."""

from __future__ import annotations

import pytest

from oracle import op_cases
from oracle.harness import PREAMBLE, run_engine
from shapelens.core.analysis import analyze_source

X = 'CFG = {"n": 300, "k": 2}\n\ndef draw():\n    return np.zeros((4, 4), np.float32), ["a"] * 3\n\n'

KNOWN = [
    # counted on the first pass: 300 outer passes of 2 inner appends
    "xs, qs = [], []\nfor _ in range(CFG['n']):\n    img, objs = draw()\n    for _ in range(CFG['k']):\n"
    "        xs.append(img)\n        qs.append(objs[0])\ny = np.stack(xs)\nz = np.array(qs)",
    "xs = []\nfor i in range(500):\n    xs.append(np.zeros(3))\n    for _ in range(3):\n        for _ in range(2):\n"
    "            xs.append(np.ones(3))\ny = np.stack(xs)",
]

UNKNOWN = [
    # the inner range grows on each pass: its count is not the same every time
    "n = 3\nxs = []\nfor i in range(400):\n    n = n + 1\n    for _ in range(n):\n        xs.append(1.0)\ny = np.array(xs)",
    # the inner range depends on the outer loop variable
    "xs = []\nfor i in range(400):\n    for _ in range(i % 3):\n        xs.append(1.0)\ny = np.array(xs)",
    # a function the loop calls appends to the same global list
    "xs = []\ndef more():\n    xs.append(0.0)\nfor i in range(400):\n    more()\n    for _ in range(2):\n"
    "        xs.append(1.0)\ny = np.array(xs)",
]


@pytest.mark.parametrize("body", KNOWN)
def test_nested_counted_appends_agree(body: str) -> None:
    names = ["y", "z"] if "z =" in body else ["y"]
    op_cases.agree(X + body + "\n", names, oracle="numpy")


@pytest.mark.parametrize("body", UNKNOWN)
def test_uncounted_lengths_stay_unknown(body: str) -> None:
    op_cases.agree(X + body + "\n", ["y"], exact=False, oracle="numpy")
    fact = run_engine(X + body + "\n").values.get("y")
    assert fact is None or fact.shape is None or fact.shape[0] is None, fact


def test_weights_set_in_build_hold_on_every_later_call() -> None:
    """A layer first called inside a loop of unknown length is built there: the bias its build
    sets is the bias of every later call, not joined with the None of __init__."""
    src = X + (
        "class Bias(keras.layers.Layer):\n"
        "    def __init__(self, units):\n"
        "        super().__init__()\n"
        "        self.units, self.bias = units, None\n"
        "    def build(self, input_shape):\n"
        "        self.bias = self.add_weight(shape=(self.units,), initializer='zeros')\n"
        "    def call(self, x):\n"
        "        return x + self.bias\n"
        "layer = Bias(4)\n"
        "ds = tf.data.Dataset.from_tensor_slices(np.ones((10, 4), np.float32)).batch(5)\n"
        "for batch in ds:\n"
        "    out = layer(batch)\n"
        "y = layer(tf.ones((2, 4)))\n"
    )
    op_cases.agree(src, ["y"])


def test_closure_made_on_every_call_keeps_its_real_calls() -> None:
    """A nested function made afresh by each call of its parent is not re-analysed with
    unknown arguments when one of those closures ran on real ones."""
    src = X + (
        "dense = keras.layers.Dense(2)\n"
        "def roll(y0, ts):\n"
        "    def step(y, t):\n"
        "        return y + dense(y) * t\n"
        "    return tf.scan(step, ts, initializer=y0)\n"
        "a = roll(tf.ones((16, 2)), tf.ones((5,)))\n"
        "b = roll(tf.ones((1, 2)), tf.ones((7,)))\n"
        # times the engine cannot read: this closure is never run by the engine
        "c = roll(tf.ones((16, 2)), tf.constant(eval('[1.0, 2.0]')))\n"
    )
    op_cases.agree(src, ["a", "b"])
    analysis = analyze_source(PREAMBLE + src)
    line = PREAMBLE.count("\n") + X.count("\n") + 4  # the Dense call inside step
    dense = [f for f in analysis.facts if f.kind == "layer" and f.span.line == line]
    assert dense and all(f.shape.dims is not None for f in dense), dense
