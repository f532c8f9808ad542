# Entity-embedding model for a synthetic churn-style table.
# One Input + Embedding per categorical column (the "Rossmann" trick),
# a numeric branch, everything concatenated.  Binary target is imbalanced,
# so class_weight is passed to fit.  Keras 2 code, updated for tf.keras / Keras 3.
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow.keras import Input, Model
from tensorflow.keras import backend as K
from tensorflow.keras.layers import (Embedding, Flatten, Dense, Dropout, Concatenate,
                                     Lambda, BatchNormalization, Reshape)
from tensorflow.keras.callbacks import EarlyStopping


@dataclass
class Cfg:
    n_rows: int = 700
    numeric_cols: tuple = ("tenure", "monthly_spend", "support_calls", "balance")
    cat_cardinality: dict = field(default_factory=lambda: OrderedDict(
        region=12, plan=5, device=7, payment=4, signup_month=12))
    hidden: tuple = (64, 32)
    dropout: float = 0.3
    batch_size: int = 64
    epochs: int = 2
    seed: int = 2024


cfg = Cfg()
rng = np.random.RandomState(cfg.seed)


def embedding_size(cardinality):
    # fast.ai rule of thumb, capped
    return int(min(16, round(1.6 * cardinality ** 0.56)))


def generate_table(c):
    cols = {}
    for name, card in c.cat_cardinality.items():
        cols[name] = rng.randint(0, card, size=c.n_rows).astype("int32")
    cols["tenure"] = rng.exponential(24, c.n_rows)
    cols["monthly_spend"] = rng.lognormal(3.5, 0.6, c.n_rows)
    cols["support_calls"] = rng.poisson(1.5, c.n_rows).astype("float64")
    cols["balance"] = rng.normal(0, 500, c.n_rows)
    logit = (-2.2 + 0.5 * cols["support_calls"] - 0.04 * cols["tenure"]
             + 0.6 * (cols["plan"] == 0) + 0.4 * (cols["payment"] == 3)
             + 0.0005 * cols["balance"])
    prob = 1.0 / (1.0 + np.exp(-logit))
    target = (rng.rand(c.n_rows) < prob).astype("float32")
    return cols, target


def build_inputs(cols, c):
    feed = {name: cols[name].reshape(-1, 1) for name in c.cat_cardinality}
    num = np.stack([cols[n] for n in c.numeric_cols], axis=1).astype("float32")
    feed["numeric"] = num
    return feed


def signed_log(t):
    return K.sign(t) * K.log(1.0 + K.abs(t))


def build_model(c):
    inputs, embedded = [], []
    for name, card in c.cat_cardinality.items():
        inp = Input(shape=(1,), dtype="int32", name=name)
        dim = embedding_size(card)
        emb = Embedding(card, dim, name=f"emb_{name}")(inp)
        emb = Reshape((dim,), name=f"flat_{name}")(emb)
        inputs.append(inp)
        embedded.append(emb)

    num_in = Input(shape=(len(c.numeric_cols),), name="numeric")
    num = Lambda(signed_log, name="signed_log")(num_in)
    num = BatchNormalization(name="num_bn")(num)
    num = Dense(16, activation="relu", name="num_dense")(num)
    inputs.append(num_in)

    x = Concatenate(name="all_features")(embedded + [num])
    for i, units in enumerate(c.hidden):
        x = Dense(units, activation="relu", name=f"fc{i}")(x)
        x = Dropout(c.dropout, name=f"drop{i}")(x)
    out = Dense(1, activation="sigmoid", name="churn")(x)
    return Model(inputs=inputs, outputs=out)


cols, y = generate_table(cfg)
X = build_inputs(cols, cfg)
pos_rate = y.mean()
print(f"rows={cfg.n_rows} positive rate={pos_rate:.3f}")

neg, pos = np.bincount(y.astype(int), minlength=2)
class_weight = {0: (neg + pos) / (2.0 * neg), 1: (neg + pos) / (2.0 * pos)}
print("class_weight:", {k: f"{v:.3f}" for k, v in class_weight.items()})

model = build_model(cfg)
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=3e-3),
              loss="binary_crossentropy",
              metrics=[tf.keras.metrics.AUC(name="auc"),
                       tf.keras.metrics.Precision(name="precision"),
                       tf.keras.metrics.Recall(name="recall")])

for layer in model.layers:
    if layer.name.startswith("emb_"):
        print(f"  {layer.name:<18} -> dim {layer.output_dim}")

history = model.fit(X, y,
                    batch_size=cfg.batch_size,
                    epochs=cfg.epochs,
                    validation_split=0.2,
                    class_weight=class_weight,
                    callbacks=[EarlyStopping(monitor="val_auc", mode="max", patience=3,
                                             restore_best_weights=True)],
                    verbose=2)

scores = model.predict({k: v[:8] for k, v in X.items()}, verbose=0).ravel()
print("sample scores:", np.round(scores, 3), "labels:", y[:8])

# pull out learned embedding of the "plan" column
plan_vecs = model.get_layer("emb_plan").get_weights()[0]
norms = np.linalg.norm(plan_vecs, axis=1)
print("plan embedding norms:", np.round(norms, 3))
