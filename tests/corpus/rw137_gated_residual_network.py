# Gated Residual Networks + variable selection (TFT-style building blocks)
# for a small multi-horizon forecasting problem with static covariates.
#
# inputs:
#   past observed features   (batch, T_past, n_past)
#   known future covariates  (batch, T_future, n_future)   e.g. calendar
#   static covariates        (batch, n_static)              e.g. store id embedding
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

T_PAST, T_FUTURE = 30, 7
N_PAST, N_FUTURE, N_STATIC_CAT = 4, 2, 5
D_MODEL = 16
N_SAMPLES = 320


class GatedLinearUnit(layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.linear = layers.Dense(units)
        self.gate = layers.Dense(units, activation="sigmoid")

    def call(self, x):
        return self.linear(x) * self.gate(x)


class GatedResidualNetwork(layers.Layer):
    """GRN(a, c) = LayerNorm(a + GLU(W1 * ELU(W2 a + W3 c)))."""

    def __init__(self, units, dropout=0.1, **kw):
        super().__init__(**kw)
        self.units = units
        self.fc1 = layers.Dense(units, activation="elu")
        self.context_proj = layers.Dense(units, use_bias=False)
        self.fc2 = layers.Dense(units)
        self.dropout = layers.Dropout(dropout)
        self.glu = GatedLinearUnit(units)
        self.norm = layers.LayerNormalization()
        self.skip_proj = None

    def build(self, input_shape):
        if input_shape[-1] != self.units:
            self.skip_proj = layers.Dense(self.units)

    def call(self, x, context=None, training=None):
        skip = x if self.skip_proj is None else self.skip_proj(x)
        h = self.fc1(x)
        if context is not None:  # Python-level check, fine inside call()
            c = self.context_proj(context)
            if len(h.shape) == 3:
                c = tf.expand_dims(c, 1)
            h = h + c
        h = self.fc2(h)
        h = self.dropout(h, training=training)
        return self.norm(skip + self.glu(h))


class VariableSelection(layers.Layer):
    """Embed each scalar variable, run a (shared) GRN over them and mix with
    softmax selection weights produced from the flattened embeddings."""

    def __init__(self, n_vars, units, **kw):
        super().__init__(**kw)
        self.n_vars = n_vars
        self.units = units
        self.var_grn = GatedResidualNetwork(units)
        self.weight_grn = GatedResidualNetwork(n_vars)
        self.softmax = layers.Softmax(axis=-1)

    def build(self, input_shape):
        # one linear embedding per variable: x_i -> x_i * W_i + b_i
        self.embed_w = self.add_weight(shape=(self.n_vars, self.units),
                                       initializer="glorot_uniform", name="embed_w")
        self.embed_b = self.add_weight(shape=(self.n_vars, self.units),
                                       initializer="zeros", name="embed_b")

    def call(self, x, context=None, training=None):
        embedded = tf.expand_dims(x, -1) * self.embed_w + self.embed_b  # (..., n_vars, units)
        flat_shape = tf.concat([tf.shape(x)[:-1], [self.n_vars * self.units]], axis=0)
        flat = tf.reshape(embedded, flat_shape)
        weights = self.softmax(self.weight_grn(flat, context, training=training))
        processed = self.var_grn(embedded, training=training)
        selected = tf.reduce_sum(processed * tf.expand_dims(weights, -1), axis=-2)
        return selected, weights


def build_model():
    past_in = keras.Input((T_PAST, N_PAST), name="past")
    fut_in = keras.Input((T_FUTURE, N_FUTURE), name="future")
    static_in = keras.Input((1,), dtype="int32", name="series_id")

    static_emb = layers.Flatten()(layers.Embedding(N_STATIC_CAT, D_MODEL)(static_in))
    static_ctx = GatedResidualNetwork(D_MODEL, name="static_context")(static_emb)

    past_sel, past_w = VariableSelection(N_PAST, D_MODEL, name="past_vsn")(past_in, static_ctx)
    fut_sel, _ = VariableSelection(N_FUTURE, D_MODEL, name="future_vsn")(fut_in, static_ctx)

    enc_seq, h, c = layers.LSTM(D_MODEL, return_sequences=True, return_state=True,
                                name="encoder")(past_sel)
    dec_seq = layers.LSTM(D_MODEL, return_sequences=True, name="decoder")(
        fut_sel, initial_state=[h, c])

    # decoder attends over encoder history
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="temporal_attn")(
        dec_seq, enc_seq)
    x = layers.LayerNormalization()(dec_seq + attn)
    x = GatedResidualNetwork(D_MODEL, name="post_attn_grn")(x, static_ctx)
    out = layers.TimeDistributed(layers.Dense(1), name="forecast")(x)
    out = layers.Reshape((T_FUTURE,))(out)

    model = keras.Model([past_in, fut_in, static_in], out, name="mini_tft")
    weights_model = keras.Model([past_in, static_in], past_w, name="past_weights")
    return model, weights_model


def make_data(n=N_SAMPLES, seed=3):
    rng = np.random.default_rng(seed)
    total = T_PAST + T_FUTURE
    sid = rng.integers(0, N_STATIC_CAT, size=(n, 1))
    start = rng.integers(0, 365, size=(n, 1))
    t = start + np.arange(total)[None, :]
    dow = (t % 7) / 6.0
    seasonal = np.sin(2 * np.pi * t / 7)
    base = 0.5 * sid + seasonal
    promo = (rng.random((n, total)) < 0.1).astype("float32")
    y = base + 1.5 * promo + 0.1 * rng.standard_normal((n, total))
    noise_a = rng.standard_normal((n, total))
    noise_b = rng.standard_normal((n, total))

    past = np.stack([y, promo, noise_a, noise_b], -1)[:, :T_PAST]
    future = np.stack([dow, promo], -1)[:, T_PAST:]
    target = y[:, T_PAST:]
    return (past.astype("float32"), future.astype("float32"), sid.astype("int32")), \
        target.astype("float32")


def main():
    keras.utils.set_random_seed(11)
    (past, fut, sid), y = make_data()
    split = int(0.8 * len(y))
    train = ((past[:split], fut[:split], sid[:split]), y[:split])
    val = ((past[split:], fut[split:], sid[split:]), y[split:])

    model, weights_model = build_model()
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=1e-4),
                  loss="mse", metrics=["mae"], jit_compile=False)
    print(f"params: {model.count_params():,}")
    model.fit(*train, validation_data=val, batch_size=64, epochs=2, verbose=2)

    preds = model.predict(val[0], verbose=0)
    per_h = np.mean(np.abs(preds - val[1]), axis=0)
    print("MAE by horizon:", " ".join(f"h{i + 1}={v:.3f}" for i, v in enumerate(per_h)))

    # which past variables does the selection network rely on?
    w = weights_model.predict([val[0][0], val[0][2]], verbose=0).mean(axis=(0, 1))
    names = ["target_lag", "promo", "noise_a", "noise_b"]
    for name, weight in sorted(zip(names, w), key=lambda p: -p[1]):
        print(f"  {name:<11s} {weight:.3f}")


if __name__ == "__main__":
    main()
