"""Deep & Cross Network (DCN-v2 style) for a synthetic insurance-claim table.

Custom CrossLayer:  x_{l+1} = x0 * (W x_l + b) + x_l
Stacked cross layers in parallel with a deep MLP, model saved and reloaded as .keras.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.utils.set_random_seed(42)

CATEGORICAL = {          # name -> number of raw levels (integer coded)
    "region": 9,
    "vehicle_type": 6,
    "policy_tier": 4,
    "agent_id": 40,
}
NUMERIC = ["driver_age", "vehicle_age", "annual_km", "prior_claims"]
HPARAMS = {"emb_dim": 6, "n_cross": 3, "deep_units": [48, 24], "lr": 0.005, "batch": 32, "epochs": 2}
SAVE_PATH = os.path.join(tempfile.gettempdir(), "rw110_dcn_model.keras")


@keras.saving.register_keras_serializable(package="rw110")
class CrossLayer(layers.Layer):
    def __init__(self, low_rank=None, l2=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.low_rank = low_rank
        self.l2 = l2

    def build(self, input_shape):
        x0_shape = input_shape[0]
        dim = x0_shape[-1]
        reg = keras.regularizers.L2(self.l2)
        if self.low_rank is None:
            self.w = self.add_weight(name="w", shape=(dim, dim), initializer="glorot_uniform",
                                     regularizer=reg)
        else:
            self.u = self.add_weight(name="u", shape=(dim, self.low_rank), initializer="glorot_uniform",
                                     regularizer=reg)
            self.v = self.add_weight(name="v", shape=(self.low_rank, dim), initializer="glorot_uniform",
                                     regularizer=reg)
        self.b = self.add_weight(name="b", shape=(dim,), initializer="zeros")

    def call(self, inputs):
        x0, xl = inputs
        if self.low_rank is None:
            proj = keras.ops.matmul(xl, self.w)
        else:
            proj = keras.ops.matmul(keras.ops.matmul(xl, self.u), self.v)
        return x0 * (proj + self.b) + xl

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(low_rank=self.low_rank, l2=self.l2)
        return cfg


def synth_claims(n=700, seed=0):
    r = np.random.default_rng(seed)
    data = {name: r.integers(0, levels, size=(n, 1)).astype("int32") for name, levels in CATEGORICAL.items()}
    data["driver_age"] = r.uniform(18, 80, size=(n, 1)).astype("float32")
    data["vehicle_age"] = r.integers(0, 20, size=(n, 1)).astype("float32")
    data["annual_km"] = r.lognormal(9.5, 0.4, size=(n, 1)).astype("float32")
    data["prior_claims"] = r.poisson(0.4, size=(n, 1)).astype("float32")

    # interaction-heavy ground truth: young drivers in sporty vehicles in certain regions
    young = (data["driver_age"] < 28).astype("float32")
    sporty = np.isin(data["vehicle_type"], [1, 4]).astype("float32")
    risky_region = np.isin(data["region"], [2, 5, 7]).astype("float32")
    logit = (1.8 * young * sporty + 0.9 * sporty * risky_region + 0.5 * data["prior_claims"]
             + 0.3 * (data["annual_km"] > 15000) - 0.2 * data["policy_tier"] - 1.2)
    claim = (r.random((n, 1)) < 1 / (1 + np.exp(-logit))).astype("float32")
    return data, claim


def build_dcn(train_data, hp):
    inputs, embedded = {}, []
    for name, levels in CATEGORICAL.items():
        inputs[name] = keras.Input(shape=(1,), dtype="int32", name=name)
        lookup = layers.IntegerLookup(vocabulary=np.arange(levels, dtype="int32"), name=f"{name}_idx")
        emb = layers.Embedding(lookup.vocabulary_size(), hp["emb_dim"], name=f"{name}_emb")
        embedded.append(layers.Flatten()(emb(lookup(inputs[name]))))

    numeric_in = []
    for name in NUMERIC:
        inputs[name] = keras.Input(shape=(1,), dtype="float32", name=name)
        numeric_in.append(inputs[name])
    numeric_stack = layers.Concatenate(name="numeric_stack")(numeric_in)
    norm = layers.Normalization(name="numeric_norm")
    norm.adapt(np.concatenate([train_data[n] for n in NUMERIC], axis=1))

    x0 = layers.Concatenate(name="x0")(embedded + [norm(numeric_stack)])

    xl = x0
    for i in range(hp["n_cross"]):
        xl = CrossLayer(low_rank=8 if i > 0 else None, name=f"cross_{i}")([x0, xl])

    deep = x0
    for i, units in enumerate(hp["deep_units"]):
        deep = layers.Dense(units, activation="relu", name=f"deep_{i}")(deep)

    merged = layers.Concatenate(name="cross_plus_deep")([xl, deep])
    out = layers.Dense(1, activation="sigmoid", name="claim_prob")(merged)
    return keras.Model(inputs, out, name="dcn")


def as_dataset(data, labels, batch, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices((data, labels))
    return (ds.shuffle(1000, seed=1) if shuffle else ds).batch(batch)


if __name__ == "__main__":
    data, labels = synth_claims()
    idx = np.random.permutation(len(labels))
    tr, te = idx[:560], idx[560:]
    train = ({k: v[tr] for k, v in data.items()}, labels[tr])
    test = ({k: v[te] for k, v in data.items()}, labels[te])

    model = build_dcn(train[0], HPARAMS)
    model.compile(optimizer=keras.optimizers.AdamW(HPARAMS["lr"], weight_decay=1e-4),
                  loss="binary_crossentropy",
                  metrics=["binary_accuracy", keras.metrics.AUC(name="auc")])
    model.fit(as_dataset(*train, HPARAMS["batch"], shuffle=True),
              epochs=HPARAMS["epochs"],
              validation_data=as_dataset(*test, HPARAMS["batch"]),
              verbose=2)

    before = model.predict(test[0], verbose=0)
    model.save(SAVE_PATH)
    restored = keras.models.load_model(SAVE_PATH)
    after = restored.predict(test[0], verbose=0)
    print(f"saved to {SAVE_PATH}; max |diff| after reload = {np.abs(before - after).max():.2e}")

    # How much does each cross layer's weight matrix mix features? (Frobenius norms)
    for layer in restored.layers:
        if isinstance(layer, CrossLayer):
            norms = [float(np.linalg.norm(w)) for w in layer.get_weights()]
            print(f"{layer.name}: low_rank={layer.low_rank}, weight norms={np.round(norms, 3).tolist()}")
    os.remove(SAVE_PATH)
