# Multi-head self-attention written by hand with tf.einsum, dropped into a
# small Keras classifier. Toy task: does token 7 appear before token 3?
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    vocab=16,
    seq_len=20,
    d_model=32,
    heads=4,
    ff_mult=2,
    n_blocks=2,
    n_train=640,
    n_val=128,
    batch=64,
    epochs=2,
    lr=3e-3,
)

np.random.seed(0)
tf.random.set_seed(0)


def synth_sequences(n, seq_len, vocab):
    seqs = np.random.randint(0, vocab, size=(n, seq_len))
    labels = np.zeros(n, dtype="int32")
    for i, s in enumerate(seqs):
        pos7 = np.where(s == 7)[0]
        pos3 = np.where(s == 3)[0]
        if len(pos7) and len(pos3):
            labels[i] = int(pos7[0] < pos3[0])
    return seqs.astype("int32"), labels


class EinsumMHA(layers.Layer):
    """Self-attention where every projection is an einsum over explicit kernels."""

    def __init__(self, d_model, heads, **kwargs):
        super().__init__(**kwargs)
        assert d_model % heads == 0
        self.d_model = d_model
        self.heads = heads
        self.depth = d_model // heads

    def build(self, input_shape):
        d = input_shape[-1]
        shape = (d, self.heads, self.depth)
        self.wq = self.add_weight(name="wq", shape=shape, initializer="glorot_uniform")
        self.wk = self.add_weight(name="wk", shape=shape, initializer="glorot_uniform")
        self.wv = self.add_weight(name="wv", shape=shape, initializer="glorot_uniform")
        self.wo = self.add_weight(
            name="wo", shape=(self.heads, self.depth, self.d_model), initializer="glorot_uniform"
        )

    def call(self, x, mask=None):
        q = tf.einsum("btd,dhk->bhtk", x, self.wq)
        k = tf.einsum("btd,dhk->bhtk", x, self.wk)
        v = tf.einsum("btd,dhk->bhtk", x, self.wv)
        scores = tf.einsum("bhqk,bhsk->bhqs", q, k) / tf.sqrt(float(self.depth))
        if mask is not None:
            m = tf.cast(mask, scores.dtype)[:, None, None, :]
            scores += (1.0 - m) * -1e9
        attn = tf.nn.softmax(scores, axis=-1)
        ctx = tf.einsum("bhqs,bhsk->bhqk", attn, v)
        return tf.einsum("bhtk,hkd->btd", ctx, self.wo)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(d_model=self.d_model, heads=self.heads)
        return cfg


class PositionEmbedding(layers.Layer):
    def __init__(self, seq_len, vocab, d_model, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab, d_model)
        self.pos = layers.Embedding(seq_len, d_model)
        self.seq_len = seq_len

    def call(self, ids):
        positions = tf.range(tf.shape(ids)[-1])
        return self.tok(ids) + self.pos(positions)[None, :, :]


def transformer_block(x, cfg, idx):
    h = layers.LayerNormalization(name=f"ln_a_{idx}")(x)
    h = EinsumMHA(cfg["d_model"], cfg["heads"], name=f"mha_{idx}")(h)
    x = layers.Add(name=f"res_a_{idx}")([x, h])
    h = layers.LayerNormalization(name=f"ln_b_{idx}")(x)
    h = layers.Dense(cfg["d_model"] * cfg["ff_mult"], activation="gelu", name=f"ff1_{idx}")(h)
    h = layers.Dense(cfg["d_model"], name=f"ff2_{idx}")(h)
    return layers.Add(name=f"res_b_{idx}")([x, h])


def build_model(cfg):
    inp = keras.Input(shape=(cfg["seq_len"],), dtype="int32", name="tokens")
    x = PositionEmbedding(cfg["seq_len"], cfg["vocab"], cfg["d_model"])(inp)
    for i in range(cfg["n_blocks"]):
        x = transformer_block(x, cfg, i)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inp, out, name="einsum_transformer")


def check_against_reference(layer, x):
    """Compare the einsum path with a reshape/matmul implementation."""
    b, t, d = x.shape
    h, k = layer.heads, layer.depth

    def proj(w):
        y = tf.matmul(tf.reshape(x, [-1, d]), tf.reshape(w, [d, h * k]))
        return tf.transpose(tf.reshape(y, [b, t, h, k]), [0, 2, 1, 3])

    q, kk, v = proj(layer.wq), proj(layer.wk), proj(layer.wv)
    s = tf.matmul(q, kk, transpose_b=True) / np.sqrt(k)
    ctx = tf.matmul(tf.nn.softmax(s, -1), v)
    ctx = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b, t, h * k])
    ref = tf.matmul(tf.reshape(ctx, [-1, h * k]), tf.reshape(layer.wo, [h * k, -1]))
    ref = tf.reshape(ref, [b, t, -1])
    diff = tf.reduce_max(tf.abs(ref - layer(x))).numpy()
    print(f"einsum vs matmul reference max abs diff: {diff:.2e}")
    assert diff < 1e-4


if __name__ == "__main__":
    c = CFG
    x_tr, y_tr = synth_sequences(c["n_train"], c["seq_len"], c["vocab"])
    x_va, y_va = synth_sequences(c["n_val"], c["seq_len"], c["vocab"])
    print("positive rate:", y_tr.mean().round(3))

    train_ds = tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(512).batch(c["batch"])
    val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(c["batch"])

    model = build_model(c)
    model.compile(
        optimizer=keras.optimizers.Adam(c["lr"]),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(line_length=90)
    hist = model.fit(train_ds, validation_data=val_ds, epochs=c["epochs"], verbose=2)
    print({k: [round(v, 4) for v in vals] for k, vals in hist.history.items()})

    mha = model.get_layer("mha_0")
    probe = tf.random.normal([2, c["seq_len"], c["d_model"]])
    check_against_reference(mha, probe)
