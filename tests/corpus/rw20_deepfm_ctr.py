"""DeepFM click-through-rate model built from a declarative feature spec.

Every feature in FEATURE_SPECS becomes a Keras Input plus the
preprocessing needed to turn it into (a) a first-order weight and
(b) a k-dimensional FM factor.  The deep component runs an MLP over
the concatenated factors.  Mirrors the structure of the ads ranking
trainer; data here is random.
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

FM_DIM = 8


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    kind: str  # "categorical", "hashed", "numeric"
    vocab: Optional[List[str]] = None
    hash_bins: int = 0
    dtype: str = "string"


FEATURE_SPECS = [
    FeatureSpec("site_category", "categorical", vocab=["news", "sports", "games", "shop", "video"]),
    FeatureSpec("device_type", "categorical", vocab=["phone", "tablet", "desktop"]),
    FeatureSpec("ad_slot", "categorical", vocab=["top", "side", "bottom", "inline"]),
    FeatureSpec("advertiser_id", "hashed", hash_bins=256),
    FeatureSpec("query_token", "hashed", hash_bins=512),
    FeatureSpec("hour_of_day", "numeric", dtype="float32"),
    FeatureSpec("bid_price", "numeric", dtype="float32"),
]


@dataclass
class TrainConfig:
    hidden_units: List[int] = field(default_factory=lambda: [64, 32])
    dropout: float = 0.1
    batch_size: int = 128
    learning_rate: float = 1e-3
    num_rows: int = 1024


class FMInteraction(layers.Layer):
    """Second-order factorization-machine term: 0.5 * ((sum v)^2 - sum v^2)."""

    def call(self, factors):
        # factors: (batch, num_fields, k)
        summed = ops.sum(factors, axis=1)
        sum_sq = ops.square(summed)
        sq_sum = ops.sum(ops.square(factors), axis=1)
        return 0.5 * ops.sum(sum_sq - sq_sum, axis=1, keepdims=True)


def synth_data(n, rng):
    data = {}
    for spec in FEATURE_SPECS:
        if spec.kind == "categorical":
            data[spec.name] = rng.choice(spec.vocab + ["<unk>"], size=(n, 1))
        elif spec.kind == "hashed":
            data[spec.name] = np.array([[f"{spec.name}_{v}"] for v in rng.integers(0, 5000, size=n)])
        else:
            data[spec.name] = rng.normal(size=(n, 1)).astype("float32")
    logit = 0.8 * data["bid_price"][:, 0] - 0.3 * (data["device_type"][:, 0] == "desktop")
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
    return data, labels


def encode_feature(spec, inp):
    """Return (first_order, factor) tensors for one feature."""
    if spec.kind == "categorical":
        idx = layers.StringLookup(vocabulary=spec.vocab, name=f"{spec.name}_lookup")(inp)
        size = len(spec.vocab) + 1
    elif spec.kind == "hashed":
        idx = layers.Hashing(num_bins=spec.hash_bins, name=f"{spec.name}_hash")(inp)
        size = spec.hash_bins
    else:
        linear = layers.Dense(1, use_bias=False, name=f"{spec.name}_linear")(inp)
        factor = layers.Dense(FM_DIM, use_bias=False, name=f"{spec.name}_factor")(inp)
        return linear, layers.Reshape((1, FM_DIM))(factor)

    linear = layers.Embedding(size, 1, name=f"{spec.name}_w")(idx)
    factor = layers.Embedding(size, FM_DIM, name=f"{spec.name}_v")(idx)
    return layers.Flatten()(linear), factor


def build_deepfm(cfg: TrainConfig) -> keras.Model:
    inputs = {
        spec.name: keras.Input(shape=(1,), name=spec.name, dtype=spec.dtype)
        for spec in FEATURE_SPECS
    }
    linear_terms, factors = [], []
    for spec in FEATURE_SPECS:
        lin, fac = encode_feature(spec, inputs[spec.name])
        linear_terms.append(lin)
        factors.append(fac)

    stacked = layers.Concatenate(axis=1, name="fm_factors")(factors)
    first_order = layers.Add(name="first_order")(linear_terms)
    second_order = FMInteraction(name="fm")(stacked)

    deep = layers.Flatten()(stacked)
    for i, units in enumerate(cfg.hidden_units):
        deep = layers.Dense(units, activation="relu", name=f"deep_{i}")(deep)
        deep = layers.Dropout(cfg.dropout)(deep)
    deep_out = layers.Dense(1, name="deep_logit")(deep)

    logit = layers.Add(name="logit")([first_order, second_order, deep_out])
    prob = layers.Activation("sigmoid", name="ctr")(logit)
    return keras.Model(inputs, prob, name="deepfm")


def to_dataset(features, labels, batch_size, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=0)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    cfg = TrainConfig()
    rng = np.random.default_rng(42)
    keras.utils.set_random_seed(42)

    train_x, train_y = synth_data(cfg.num_rows, rng)
    val_x, val_y = synth_data(256, rng)

    model = build_deepfm(cfg)
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
    )
    model.summary(line_length=100)

    model.fit(
        to_dataset(train_x, train_y, cfg.batch_size),
        validation_data=to_dataset(val_x, val_y, cfg.batch_size, shuffle=False),
        epochs=1,
        verbose=2,
    )

    preds = model.predict(to_dataset(val_x, val_y, cfg.batch_size, shuffle=False), verbose=0)
    print("mean predicted ctr: %.4f  observed ctr: %.4f" % (preds.mean(), val_y.mean()))
    calib = preds.mean() / max(val_y.mean(), 1e-6)
    print(f"calibration ratio: {calib:.3f}")


if __name__ == "__main__":
    main()
