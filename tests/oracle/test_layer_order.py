"""``model.layers`` of functional models whose graph branches (residual blocks, U-Nets, shared
layers, ops between layers): the engine lists them in Keras' own order, checked layer by layer
against Keras through each listed layer's output."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from oracle.harness import PREAMBLE
from oracle.op_cases import agree

RESIDUAL = """
inp = keras.Input((8, 8, 3), name="image")
x = layers.Conv2D(4, 3, padding="same", name="stem")(inp)
for i, f in enumerate([5, 6]):
    shortcut = layers.Conv2D(f, 1, name=f"proj{i}")(x)
    y = layers.Conv2D(f, 3, padding="same", name=f"conv{i}a")(x)
    y = layers.BatchNormalization(name=f"bn{i}")(y)
    y = layers.Conv2D(f, 3, padding="same", name=f"conv{i}b")(y)
    x = layers.Add(name=f"add{i}")([y, shortcut])
    x = layers.MaxPooling2D(name=f"pool{i}")(x)
model = keras.Model(inp, layers.Dense(3, name="head")(layers.GlobalAveragePooling2D(name="gap")(x)))
"""

UNET = """
inp = keras.Input((16, 16, 1))
c1 = layers.Conv2D(4, 3, padding="same")(inp)
p1 = layers.MaxPooling2D()(c1)
c2 = layers.Conv2D(8, 3, padding="same")(p1)
p2 = layers.MaxPooling2D()(c2)
b = layers.Conv2D(16, 3, padding="same")(p2)
u2 = layers.UpSampling2D()(b)
m2 = layers.Concatenate()([u2, c2])
d2 = layers.Conv2D(7, 3, padding="same")(m2)
u1 = layers.UpSampling2D()(d2)
m1 = layers.Concatenate()([c1, u1])
d1 = layers.Conv2D(5, 3, padding="same")(m1)
model = keras.Model(inp, layers.Conv2D(1, 1)(d1))
"""

SHARED_AND_OPS = """
inp = keras.Input((6,))
shared = layers.Dense(6, name="shared")
a = shared(inp)
b = layers.Dense(4, name="side")(inp)
c = shared(a * 2.0)
d = layers.Concatenate(name="cat")([c, b, keras.ops.relu(a)])
model = keras.Model(inp, [layers.Dense(2, name="out1")(d), layers.Dense(3, name="out2")(b)])
"""

MULTI_OUTPUT_DICT = """
inp = keras.Input((10,))
h = layers.Dense(9, name="trunk")(inp)
heads = {name: layers.Dense(k, name=name)(layers.Dense(8 - k, name=f"{name}_hidden")(h))
         for name, k in [("b", 1), ("a", 2), ("c", 3)]}
model = keras.Model(inp, heads)
"""

TWO_INPUTS = """
image = keras.Input((8, 8, 3), name="image")
meta = keras.Input((5,), name="meta")
x = layers.GlobalAveragePooling2D(name="gap")(layers.Conv2D(6, 3, name="conv")(image))
m = layers.Dense(7, name="meta_fc")(meta)
model = keras.Model([image, meta], layers.Dense(2, name="out")(layers.Concatenate(name="cat")([m, x])))
"""

DICT_INPUTS = """
inputs = {"zeta": keras.Input((3,), name="zeta"), "alpha": keras.Input((4,), name="alpha"),
          "unused": keras.Input((2,), name="unused")}
a = layers.Dense(5, name="a_fc")(inputs["alpha"])
z = layers.Dense(6, name="z_fc")(inputs["zeta"])
model = keras.Model(inputs, layers.Dense(1, name="out")(layers.Concatenate(name="cat")([z, a])))
"""

MODELS = {"two_inputs": TWO_INPUTS, "dict_inputs": DICT_INPUTS, "residual": RESIDUAL, "unet": UNET, "shared_and_ops": SHARED_AND_OPS, "multi_output_dict": MULTI_OUTPUT_DICT}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_layers_in_keras_order(name: str) -> None:
    src = textwrap.dedent(MODELS[name])
    ns: dict[str, Any] = {}
    exec(compile(PREAMBLE + src, "<snippet>", "exec"), ns)
    count = len(ns["model"].layers)  # the real count, to read every position
    reads = "\n".join(f"o{i} = model.layers[{i}].output" for i in range(count))
    agree(src + f"n = np.zeros((len(model.layers),))\n{reads}\n", ["n", *[f"o{i}" for i in range(count)]])
