#!/usr/bin/env python
"""Entity-embedding MLP for tabular data (Kaggle "Rossmann"-style trick).

Categorical columns are label-encoded in numpy, each gets its own
Embedding layer; numeric columns go through a Normalization layer.
The model is fit straight from a dict of numpy arrays.
"""
from dataclasses import dataclass, field

import numpy as np
import keras
from keras import layers
import tensorflow as tf

N_SAMPLES = 500
N_CLASSES = 3  # risk tier: low / medium / high
RNG = np.random.default_rng(31337)


@dataclass
class Column:
    name: str
    kind: str                      # "cat" or "num"
    vocab: list = field(default_factory=list)

    @property
    def cardinality(self):
        return len(self.vocab) + 1  # +1 for unknown -> index 0

    @property
    def emb_dim(self):
        # common heuristic
        return int(min(16, round(1.6 * self.cardinality ** 0.56)))


SCHEMA = [
    Column("vehicle_make", "cat", ["toyota", "ford", "bmw", "honda", "kia", "tesla", "fiat"]),
    Column("state", "cat", [f"S{i:02d}" for i in range(25)]),
    Column("occupation", "cat", ["teacher", "engineer", "nurse", "driver", "student", "retired", "other"]),
    Column("day_of_week", "cat", list(range(7))),
    Column("driver_age", "num"),
    Column("annual_km", "num"),
    Column("prior_claims", "num"),
]
CAT_COLS = [c for c in SCHEMA if c.kind == "cat"]
NUM_COLS = [c for c in SCHEMA if c.kind == "num"]


def simulate(n):
    raw = {}
    for c in CAT_COLS:
        raw[c.name] = RNG.choice(np.array(c.vocab, dtype=object), size=n)
    raw["driver_age"] = RNG.integers(18, 85, n).astype("float32")
    raw["annual_km"] = RNG.gamma(4.0, 4000.0, n).astype("float32")
    raw["prior_claims"] = RNG.poisson(0.4, n).astype("float32")
    score = (
        0.8 * raw["prior_claims"]
        + 0.00004 * raw["annual_km"]
        + np.where(raw["driver_age"] < 25, 1.0, 0.0)
        + np.isin(raw["vehicle_make"], ["bmw", "tesla"]) * 0.7
        + np.array([int(s[1:]) % 3 for s in raw["state"]]) * 0.2
        + RNG.normal(0, 0.5, n)
    )
    labels = np.digitize(score, np.quantile(score, [0.4, 0.75])).astype("int32")
    return raw, labels


def encode(raw):
    """Label-encode categoricals with fixed vocabularies; unknowns -> 0."""
    out = {}
    for c in CAT_COLS:
        lut = {v: i + 1 for i, v in enumerate(c.vocab)}
        out[c.name] = np.array([lut.get(v, 0) for v in raw[c.name]], dtype="int32")
    for c in NUM_COLS:
        vals = raw[c.name].astype("float32")
        out[c.name] = np.log1p(vals) if c.name == "annual_km" else vals
    return out


raw, y = simulate(N_SAMPLES)
X = encode(raw)
print("class balance:", np.bincount(y, minlength=N_CLASSES))
idx = RNG.permutation(N_SAMPLES)
train_idx, val_idx = idx[:400], idx[400:]
X_train = {k: v[train_idx] for k, v in X.items()}
X_val = {k: v[val_idx] for k, v in X.items()}
y_train, y_val = y[train_idx], y[val_idx]

num_matrix = np.stack([X_train[c.name] for c in NUM_COLS], axis=1)
num_norm = layers.Normalization(name="num_norm")
num_norm.adapt(num_matrix)

# ---- model ------------------------------------------------------------------
inputs, embedded = {}, []
for col in CAT_COLS:
    inputs[col.name] = keras.Input(shape=(), dtype="int32", name=col.name)
    e = layers.Embedding(col.cardinality, col.emb_dim, name=f"emb_{col.name}")(inputs[col.name])
    embedded.append(e)
    print(f"  {col.name:<13} card={col.cardinality:<3} emb_dim={col.emb_dim}")

for col in NUM_COLS:
    inputs[col.name] = keras.Input(shape=(), dtype="float32", name=col.name)
num_stack = layers.Lambda(lambda ts: tf.stack(ts, axis=-1), name="stack_numeric")(
    [inputs[c.name] for c in NUM_COLS]
)
num_feat = num_norm(num_stack)

x = layers.Concatenate()(embedded + [num_feat])
x = layers.Dropout(0.1)(x)
for units in (96, 48):
    x = layers.Dense(units, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("swish")(x)
logits = layers.Dense(N_CLASSES, name="logits")(x)
model = keras.Model(inputs=inputs, outputs=logits, name="entity_embeddings")

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
model.summary()

counts = np.bincount(y_train, minlength=N_CLASSES)
class_weight = {k: float(len(y_train) / (N_CLASSES * max(c, 1))) for k, c in enumerate(counts)}
model.fit(
    X_train, y_train,
    validation_data=(X_val, y_val),
    batch_size=64,
    epochs=2,
    class_weight=class_weight,
    verbose=2,
)

probs = tf.nn.softmax(model.predict(X_val, verbose=0)).numpy()
confusion = tf.math.confusion_matrix(y_val, probs.argmax(1), num_classes=N_CLASSES).numpy()
print("confusion matrix (rows=true):\n", confusion)

# inspect learned make embeddings: cosine similarity to "bmw"
W = model.get_layer("emb_vehicle_make").get_weights()[0]
make_vocab = CAT_COLS[0].vocab
W_norm = W / np.linalg.norm(W, axis=1, keepdims=True)
ref = W_norm[make_vocab.index("bmw") + 1]
sims = sorted(((float(W_norm[i + 1] @ ref), m) for i, m in enumerate(make_vocab)), reverse=True)
print("closest makes to bmw:", [f"{m}:{s:.2f}" for s, m in sims[:4]])
