"""Gated Residual Networks + Variable Selection Network for tabular data.

Re-implementation of the feature-selection block from the Temporal Fusion
Transformer (Lim et al., 2019) applied to a static classification problem.
Data is synthetic numpy (already integer-encoded categoricals + floats); only
a few of the features are informative so the VSN weights should pick them up.
"""
import numpy as np
import keras
from keras import layers, ops

# --------------------------------------------------------------------------- config
ENCODING_SIZE = 16
DROPOUT = 0.15
BATCH_SIZE = 200
NUM_EPOCHS = 3
LEARNING_RATE = 1e-3

NUMERIC = ["income", "debt_ratio", "utilization", "noise_a"]
CATEGORICAL = {"employment": 6, "home_owner": 3, "noise_cat": 20}
ALL_FEATURES = NUMERIC + list(CATEGORICAL)


# --------------------------------------------------------------------------- data
def make_credit_data(n=4000, seed=5):
    rng = np.random.default_rng(seed)
    x = {name: rng.normal(size=(n,)).astype("float32") for name in NUMERIC}
    for name, card in CATEGORICAL.items():
        x[name] = rng.integers(0, card, size=(n,)).astype("int32")
    risk = (
        -1.2 * x["income"]
        + 0.9 * x["debt_ratio"]
        + 0.7 * np.tanh(2 * x["utilization"])
        + 0.6 * (x["employment"] == 0)
        - 0.4 * (x["home_owner"] == 2)
    )
    y = (risk + 0.5 * rng.normal(size=n) > 0.8).astype("float32")
    return x, y


# --------------------------------------------------------------------------- layers
class GatedLinearUnit(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.linear = layers.Dense(units)
        self.sigmoid = layers.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)


class GatedResidualNetwork(layers.Layer):
    def __init__(self, units, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.elu_dense = layers.Dense(units, activation="elu")
        self.linear_dense = layers.Dense(units)
        self.dropout = layers.Dropout(dropout_rate)
        self.gated_linear_unit = GatedLinearUnit(units)
        self.layer_norm = layers.LayerNormalization()
        self.project = layers.Dense(units)

    def build(self, input_shape):
        # only need a projection on the skip path when widths differ
        self.needs_projection = input_shape[-1] != self.units
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = self.elu_dense(inputs)
        x = self.linear_dense(x)
        x = self.dropout(x, training=training)
        if self.needs_projection:
            inputs = self.project(inputs)
        x = inputs + self.gated_linear_unit(x)
        return self.layer_norm(x)


class VariableSelection(layers.Layer):
    """Per-feature GRNs, softmax selection weights from a GRN over all features."""

    def __init__(self, num_features, units, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        self.grns = [GatedResidualNetwork(units, dropout_rate) for _ in range(num_features)]
        self.grn_concat = GatedResidualNetwork(units, dropout_rate)
        self.softmax = layers.Dense(num_features, activation="softmax")

    def call(self, inputs, training=None):
        # inputs: list of (batch, units) encodings, one per feature
        v = ops.concatenate(inputs, axis=-1)                       # (B, F*units)
        v = self.grn_concat(v, training=training)
        weights = ops.expand_dims(self.softmax(v), axis=-1)        # (B, F, 1)

        x = [grn(inp, training=training) for grn, inp in zip(self.grns, inputs)]
        x = ops.stack(x, axis=1)                                   # (B, F, units)
        outputs = ops.squeeze(ops.matmul(ops.transpose(weights, (0, 2, 1)), x), axis=1)
        return outputs, ops.squeeze(weights, axis=-1)


# --------------------------------------------------------------------------- model
def encode_inputs(inputs, encoding_size):
    encoded = []
    for name in ALL_FEATURES:
        if name in CATEGORICAL:
            emb = layers.Embedding(CATEGORICAL[name], encoding_size, name=f"emb_{name}")
            encoded.append(emb(inputs[name]))
        else:
            # project the scalar to encoding_size so every feature has the same width
            x = layers.Reshape((1,), name=f"expand_{name}")(inputs[name])
            encoded.append(layers.Dense(encoding_size, name=f"proj_{name}")(x))
    return encoded


def build_model(encoding_size=ENCODING_SIZE, dropout_rate=DROPOUT):
    inputs = {}
    for name in ALL_FEATURES:
        dtype = "int32" if name in CATEGORICAL else "float32"
        inputs[name] = keras.Input(shape=(), name=name, dtype=dtype)

    features = encode_inputs(inputs, encoding_size)
    selected, selection_weights = VariableSelection(
        len(features), encoding_size, dropout_rate, name="vsn"
    )(features)
    outputs = layers.Dense(1, activation="sigmoid", name="default_prob")(selected)

    model = keras.Model(inputs, outputs, name="grn_vsn")
    # side model sharing weights, used for interpretability afterwards
    explainer = keras.Model(inputs, selection_weights, name="vsn_explainer")
    return model, explainer


def main():
    keras.utils.set_random_seed(42)
    x, y = make_credit_data()
    n_val = len(y) // 5
    x_train = {k: v[n_val:] for k, v in x.items()}
    x_val = {k: v[:n_val] for k, v in x.items()}
    y_train, y_val = y[n_val:], y[:n_val]

    pos = y_train.mean()
    class_weight = {0: 0.5 / (1 - pos), 1: 0.5 / pos}
    print(f"positive rate={pos:.3f}, class_weight={ {k: round(v, 2) for k, v in class_weight.items()} }")

    model, explainer = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Precision(), keras.metrics.Recall()],
        jit_compile=False,  # XLA compile of the 8 GRNs is slower than the training itself on CPU
    )
    model.summary(expand_nested=False)

    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_auc", mode="max", patience=2, restore_best_weights=True
    )
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=NUM_EPOCHS,
        batch_size=BATCH_SIZE,
        class_weight=class_weight,
        callbacks=[early_stopping],
        verbose=2,
    )

    weights = explainer.predict(x_val, batch_size=512, verbose=0)   # (n_val, F)
    print("selection weights:", weights.shape)
    mean_importance = weights.mean(axis=0)
    order = np.argsort(-mean_importance)
    print("Global feature importance (mean VSN weight):")
    for idx in order:
        print(f"  {ALL_FEATURES[idx]:<12s} {mean_importance[idx]:.3f}")


if __name__ == "__main__":
    main()
