# Q: "How do I get the output of a hidden layer (e.g. the embedding before the
#     softmax) for my inputs?"  and  "How do I freeze the first N layers and
#     fine-tune the rest?"
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

INPUT_DIM = 20
HIDDEN = [64, 32, 8]
N_CLASSES = 4


class ScaledDense(layers.Layer):
    """Tiny custom layer so we can show it's reachable like any other layer."""

    def __init__(self, units, scale=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, x):
        return tf.nn.relu(tf.matmul(x, self.w) + self.b) * self.scale


def build_classifier():
    inp = keras.Input(shape=(INPUT_DIM,), name="features")
    x = inp
    for i, units in enumerate(HIDDEN[:-1]):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
    x = ScaledDense(HIDDEN[-1], name="embedding")(x)
    out = layers.Dense(N_CLASSES, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="classifier")


rng = np.random.default_rng(11)
X = rng.normal(size=(320, INPUT_DIM)).astype("float32")
y = np.argmax(X[:, :N_CLASSES] + 0.2 * rng.normal(size=(320, N_CLASSES)), axis=1)

model = build_classifier()
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X, y, epochs=2, batch_size=32, verbose=2)

print("layers:", [l.name for l in model.layers])

# --- 1) one intermediate layer ---------------------------------------------
embedder = keras.Model(inputs=model.input, outputs=model.get_layer("embedding").output)
emb = embedder.predict(X[:10], verbose=0)
print("embedding output:", emb.shape)

# --- 2) every layer at once (skip the InputLayer) ---------------------------
probe = keras.Model(
    inputs=model.input,
    outputs={l.name: l.output for l in model.layers if not isinstance(l, keras.layers.InputLayer)},
)
acts = probe(X[:4], training=False)
for name, a in acts.items():
    a = np.asarray(a)
    print(f"  {name:>10}: shape={a.shape}, mean={a.mean():+.3f}, frac_zero={np.mean(a == 0):.2f}")

# the sub-model shares weights with the original: outputs must match
np.testing.assert_allclose(acts["probs"], model(X[:4], training=False), rtol=1e-5, atol=1e-6)

# --- 3) freezing: transfer the trunk to a new 2-class task -----------------
trunk = keras.Model(model.input, model.get_layer("embedding").output, name="trunk")
N_FROZEN = 4  # hidden_0, bn_0, hidden_1, bn_1
for layer in trunk.layers[1 : 1 + N_FROZEN]:
    layer.trainable = False

new_head = keras.Sequential([keras.Input((HIDDEN[-1],)), layers.Dense(2, activation="softmax")], name="head")
transfer = keras.Model(trunk.input, new_head(trunk.output), name="transfer")
transfer.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])

for l in trunk.layers:
    print(f"  {l.name:>10} trainable={l.trainable}")
n_trainable = sum(int(np.prod(v.shape)) for v in transfer.trainable_weights)
n_frozen = sum(int(np.prod(v.shape)) for v in transfer.non_trainable_weights)
print(f"trainable params: {n_trainable}, non-trainable: {n_frozen}")

frozen_before = trunk.get_layer("hidden_0").get_weights()[0].copy()
y2 = (X[:, 0] > X[:, 1]).astype("int64")
transfer.fit(X, y2, epochs=1, batch_size=32, verbose=2)
frozen_after = trunk.get_layer("hidden_0").get_weights()[0]
print("frozen layer unchanged after fit:", np.array_equal(frozen_before, frozen_after))

# --- 4) unfreeze everything for fine-tuning (recompile after changing trainable!) ---
for layer in trunk.layers:
    if not isinstance(layer, layers.BatchNormalization):  # keep BN statistics frozen
        layer.trainable = True
transfer.compile(keras.optimizers.Adam(1e-5), "sparse_categorical_crossentropy", metrics=["accuracy"])
transfer.fit(X, y2, epochs=1, batch_size=32, verbose=2)
print("hidden_0 changed after fine-tune:", not np.array_equal(frozen_before, trunk.get_layer("hidden_0").get_weights()[0]))
