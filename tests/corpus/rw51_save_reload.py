"""Save / reload round-trip for a tabular model with custom components.

Trains a small feature-tokenizer + attention regressor (FT-Transformer-ish)
that uses a custom layer, a custom loss and a custom activation, saves it as
a .keras archive in a temp directory, reloads it and checks that the
predictions match. Also covers weights-only checkpoints and
ModelCheckpoint(save_best_only=True).
"""
import os
import shutil
import tempfile

import numpy as np
import keras
from keras import layers, ops

N_NUM = 7
N_CAT = 3
CAT_CARDINALITY = 5
D_TOKEN = 16
N_ROWS = 500


@keras.saving.register_keras_serializable(package="rw51")
def shifted_softplus(x):
    return ops.softplus(x) - ops.log(2.0)


@keras.saving.register_keras_serializable(package="rw51")
class NumericTokenizer(layers.Layer):
    """Per-feature linear embedding: token_j = x_j * W_j + b_j."""

    def __init__(self, d_token, **kwargs):
        super().__init__(**kwargs)
        self.d_token = d_token

    def build(self, input_shape):
        n_features = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(n_features, self.d_token),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(n_features, self.d_token),
                                 initializer="zeros")

    def call(self, x):
        # (B, F) -> (B, F, 1) * (F, D) -> (B, F, D)
        return ops.expand_dims(x, -1) * self.w + self.b

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.d_token)

    def get_config(self):
        config = super().get_config()
        config["d_token"] = self.d_token
        return config


@keras.saving.register_keras_serializable(package="rw51")
class LogCoshLoss(keras.losses.Loss):
    def __init__(self, scale=1.0, name="log_cosh_scaled", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        d = (y_pred - ops.cast(y_true, y_pred.dtype)) / self.scale
        return ops.mean(d + ops.softplus(-2.0 * d) - ops.log(2.0), axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def build_model():
    num_in = keras.Input((N_NUM,), name="numeric")
    cat_in = keras.Input((N_CAT,), dtype="int32", name="categorical")

    num_tokens = NumericTokenizer(D_TOKEN, name="num_tokenizer")(num_in)      # (B, 7, D)
    cat_tokens = layers.Embedding(N_CAT * CAT_CARDINALITY, D_TOKEN,
                                  name="cat_embedding")(
        # offset each column so they share one embedding table
        cat_in + ops.arange(N_CAT, dtype="int32") * CAT_CARDINALITY)          # (B, 3, D)
    tokens = layers.Concatenate(axis=1)([num_tokens, cat_tokens])            # (B, 10, D)

    attn = layers.MultiHeadAttention(num_heads=2, key_dim=D_TOKEN // 2,
                                     name="mha")(tokens, tokens)
    x = layers.LayerNormalization()(tokens + attn)
    ff = layers.Dense(2 * D_TOKEN, activation=shifted_softplus)(x)
    ff = layers.Dense(D_TOKEN)(ff)
    x = layers.LayerNormalization()(x + ff)

    pooled = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(1, name="target")(pooled)
    return keras.Model({"numeric": num_in, "categorical": cat_in}, out,
                       name="ft_transformer_mini")


def make_data(rng):
    numeric = rng.normal(size=(N_ROWS, N_NUM)).astype("float32")
    categorical = rng.integers(0, CAT_CARDINALITY, size=(N_ROWS, N_CAT)).astype("int32")
    cat_effect = np.array([0.0, 0.5, -0.5, 1.0, -1.0])[categorical].sum(axis=1)
    y = numeric[:, 0] * numeric[:, 1] + np.abs(numeric[:, 2]) + cat_effect
    y += rng.normal(scale=0.1, size=N_ROWS)
    return {"numeric": numeric, "categorical": categorical}, y.astype("float32")[:, None]


def main():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x, y = make_data(rng)
    x_val = {k: v[:100] for k, v in x.items()}
    y_val = y[:100]

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=LogCoshLoss(scale=0.5),
                  metrics=[keras.metrics.MeanAbsoluteError()])
    model.summary(line_length=100)

    workdir = tempfile.mkdtemp(prefix="rw51_ckpt_")
    try:
        best_path = os.path.join(workdir, "best.keras")
        ckpt = keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss",
                                               save_best_only=True)
        model.fit(x, y, validation_data=(x_val, y_val), epochs=2, batch_size=64,
                  callbacks=[ckpt], verbose=2)

        ref = model.predict(x_val, verbose=0)

        # 1) full model archive
        full_path = os.path.join(workdir, "ft_transformer.keras")
        model.save(full_path)
        print("saved:", sorted(os.listdir(workdir)),
              f"{os.path.getsize(full_path) / 1024:.1f} KiB")
        restored = keras.saving.load_model(full_path)
        out = restored.predict(x_val, verbose=0)
        np.testing.assert_allclose(ref, out, rtol=1e-5, atol=1e-5)
        print("full reload OK, max abs diff = %.2e" % np.max(np.abs(ref - out)))
        assert isinstance(restored.loss, LogCoshLoss), type(restored.loss)
        assert restored.get_layer("num_tokenizer").d_token == D_TOKEN

        # restored model keeps the optimizer state -> training can resume
        restored.fit(x, y, epochs=1, batch_size=64, verbose=0)
        print("optimizer iterations after resume:",
              int(restored.optimizer.iterations.numpy()))

        # 2) weights only, loaded into a freshly built model
        weights_path = os.path.join(workdir, "ft.weights.h5")
        model.save_weights(weights_path)
        fresh = build_model()
        fresh.load_weights(weights_path)
        np.testing.assert_allclose(ref, fresh.predict(x_val, verbose=0),
                                   rtol=1e-5, atol=1e-5)
        print("weights-only reload OK")

        # 3) best checkpoint from ModelCheckpoint, loaded without compile
        best = keras.models.load_model(best_path, compile=False)
        best_pred = best(x_val, training=False)
        print("best checkpoint prediction shape:", tuple(best_pred.shape))

        # 4) config-only clone has the same architecture but new weights
        clone = keras.models.clone_model(model)
        same = all(a.shape == b.shape for a, b in zip(clone.weights, model.weights))
        print("clone shapes match:", same)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
