"""PatchTST-style forecaster (Nie et al. 2023) written with keras.ops only.

Key ideas reproduced here:
  * RevIN: reversible instance normalisation per series/channel
  * channel independence: (B, L, C) -> (B*C, L) so every channel shares the backbone
  * patching: split the lookback into overlapping patches (patch_len, stride)
  * vanilla Transformer encoder over patch tokens, flatten head -> horizon

Backend-agnostic (no tf.* in the model code), trained for one short epoch on a
synthetic 5-channel dataset.
"""
import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 96
PRED_LEN = 24
N_CHANNELS = 5
PATCH_LEN = 16
STRIDE = 8
D_MODEL = 32
N_HEADS = 4
N_LAYERS = 2
FF_DIM = 64
DROPOUT = 0.1
BATCH_SIZE = 32

N_PATCHES = (SEQ_LEN - PATCH_LEN) // STRIDE + 2   # +1 for the end padding trick


class RevIN(layers.Layer):
    """Reversible instance normalisation with learnable affine params per channel."""

    def __init__(self, num_features, eps=1e-5, affine=True, **kwargs):
        super().__init__(**kwargs)
        self.num_features = num_features
        self.eps = eps
        self.affine = affine

    def build(self, input_shape):
        if self.affine:
            self.gamma = self.add_weight(shape=(self.num_features,), initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=(self.num_features,), initializer="zeros", name="beta")

    def normalize(self, x):
        # x: (B, L, C); statistics over time axis
        mean = ops.stop_gradient(ops.mean(x, axis=1, keepdims=True))
        var = ops.var(x, axis=1, keepdims=True)
        std = ops.stop_gradient(ops.sqrt(var + self.eps))
        x = (x - mean) / std
        if self.affine:
            x = x * self.gamma + self.beta
        return x, mean, std

    def denormalize(self, y, mean, std):
        if self.affine:
            y = (y - self.beta) / (self.gamma + self.eps * self.eps)
        return y * std + mean

    def call(self, x):
        return self.normalize(x)[0]


class Patching(layers.Layer):
    """(N, L) -> (N, num_patches, patch_len) with replicate-padding at the end."""

    def __init__(self, patch_len, stride, **kwargs):
        super().__init__(**kwargs)
        self.patch_len = patch_len
        self.stride = stride

    def call(self, x):
        last = x[:, -1:]
        x = ops.concatenate([x, ops.repeat(last, self.stride, axis=1)], axis=1)
        seq_len = x.shape[1]
        starts = range(0, seq_len - self.patch_len + 1, self.stride)
        patches = [x[:, s:s + self.patch_len] for s in starts]
        return ops.stack(patches, axis=1)


class PatchEncoder(layers.Layer):
    def __init__(self, d_model, n_heads, ff_dim, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(n_heads, d_model // n_heads, dropout=dropout)
        # PatchTST uses BatchNorm instead of LayerNorm in the encoder
        self.norm1 = layers.BatchNormalization()
        self.norm2 = layers.BatchNormalization()
        self.ff1 = layers.Dense(ff_dim, activation="gelu")
        self.ff2 = layers.Dense(d_model)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=None):
        a = self.attn(x, x, training=training)
        x = self.norm1(x + self.drop(a, training=training), training=training)
        f = self.ff2(self.drop(self.ff1(x), training=training))
        return self.norm2(x + self.drop(f, training=training), training=training)


class PatchTST(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.revin = RevIN(N_CHANNELS)
        self.patching = Patching(PATCH_LEN, STRIDE)
        self.patch_proj = layers.Dense(D_MODEL, name="patch_embedding")
        self.encoders = [PatchEncoder(D_MODEL, N_HEADS, FF_DIM, DROPOUT, name=f"enc{i}")
                         for i in range(N_LAYERS)]
        self.head_flatten = layers.Flatten()
        self.head_drop = layers.Dropout(DROPOUT)
        self.head = layers.Dense(PRED_LEN, name="flatten_head")

    def build(self, input_shape):
        # revin.normalize() is called directly (not via __call__), so build it by hand
        self.revin.build(input_shape)
        self.pos_emb = self.add_weight(shape=(1, N_PATCHES, D_MODEL),
                                       initializer=keras.initializers.RandomNormal(stddev=0.02),
                                       name="pos_embedding")
        super().build(input_shape)

    def call(self, x, training=None):
        # x: (B, L, C)
        batch = ops.shape(x)[0]
        x, mean, std = self.revin.normalize(x)

        # channel independence: (B, L, C) -> (B, C, L) -> (B*C, L)
        x = ops.transpose(x, (0, 2, 1))
        x = ops.reshape(x, (-1, SEQ_LEN))

        z = self.patching(x)                         # (B*C, P, patch_len)
        z = self.patch_proj(z) + self.pos_emb        # (B*C, P, D)
        for enc in self.encoders:
            z = enc(z, training=training)

        z = self.head_flatten(z)                     # (B*C, P*D)
        y = self.head(self.head_drop(z, training=training))   # (B*C, H)

        y = ops.reshape(y, (batch, N_CHANNELS, PRED_LEN))
        y = ops.transpose(y, (0, 2, 1))              # (B, H, C)
        return self.revin.denormalize(y, mean, std)


# ---------------------------------------------------------------------------
def synthetic_panel(n_steps=1500, seed=11):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype="float32")[:, None]
    levels = rng.uniform(-5, 20, size=(1, N_CHANNELS))      # very different scales -> RevIN matters
    amps = rng.uniform(0.5, 4.0, size=(1, N_CHANNELS))
    periods = rng.choice([12, 24, 48], size=(1, N_CHANNELS))
    drift = rng.normal(0, 0.002, size=(1, N_CHANNELS))
    x = levels + amps * np.sin(2 * np.pi * t / periods) + drift * t
    x += rng.normal(0, 0.2, size=x.shape)
    return x.astype("float32")


def make_windows(arr, seq_len, pred_len, step=1):
    n = (len(arr) - seq_len - pred_len) // step + 1
    starts = np.arange(n) * step
    X = np.stack([arr[s:s + seq_len] for s in starts])
    Y = np.stack([arr[s + seq_len:s + seq_len + pred_len] for s in starts])
    return X, Y


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    data = synthetic_panel()
    cut = int(0.8 * len(data))
    X_train, Y_train = make_windows(data[:cut], SEQ_LEN, PRED_LEN, step=2)
    X_test, Y_test = make_windows(data[cut:], SEQ_LEN, PRED_LEN, step=PRED_LEN)
    print(f"X_train {X_train.shape}  Y_train {Y_train.shape}  X_test {X_test.shape}")
    print(f"patches per channel: {N_PATCHES}")

    model = PatchTST(name="patchtst")
    _ = model(ops.convert_to_tensor(X_train[:2]))
    model.summary()

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4),
                  loss="mse", metrics=["mae"])
    model.fit(X_train, Y_train, batch_size=BATCH_SIZE, epochs=1,
              validation_split=0.1, verbose=2)

    pred = model.predict(X_test, verbose=0)
    per_channel_mae = np.abs(pred - Y_test).mean(axis=(0, 1))
    for c, m in enumerate(per_channel_mae):
        print(f"channel {c}: MAE={m:.3f}  (scale ~{np.abs(data[:, c]).mean():.1f})")
