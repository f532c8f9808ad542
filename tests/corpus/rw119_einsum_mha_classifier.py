# %% [markdown]
# # Tiny transformer classifier with hand-rolled einsum attention
# Synthetic task: does token 7 appear *before* token 9 in the sequence?
# Padding is masked with ops.where before the softmax.

# %%
import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers

VOCAB = 40
MAXLEN = 24
EMBED = 32
HEADS = 4
BLOCKS = 2
BATCH = 32
MODEL_PATH = "/tmp/rw119_einsum_mha.keras"

np.random.seed(11)
tf.random.set_seed(11)


# %%
def make_sequences(n):
    lens = np.random.randint(8, MAXLEN + 1, size=n)
    X = np.zeros((n, MAXLEN), dtype="int32")  # 0 = pad
    y = np.zeros((n,), dtype="float32")
    for i, L in enumerate(lens):
        seq = np.random.randint(1, VOCAB, size=L)
        seq[seq == 7] = 3
        seq[seq == 9] = 4
        a, b = np.random.choice(L, size=2, replace=False)
        seq[a], seq[b] = 7, 9
        X[i, :L] = seq
        y[i] = float(a < b)
    return X, y


X, y = make_sequences(512)
print("label balance:", y.mean(), "| example:", X[0])


# %%
@keras.utils.register_keras_serializable(package="rw119")
class EinsumSelfAttention(layers.Layer):
    def __init__(self, num_heads, key_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.dropout = dropout
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        d = input_shape[-1]
        init = keras.initializers.GlorotUniform()
        self.wq, self.wk, self.wv = [
            self.add_weight(name=n, shape=(d, self.num_heads, self.key_dim), initializer=init)
            for n in ("wq", "wk", "wv")
        ]
        self.wo = self.add_weight(name="wo", shape=(self.num_heads, self.key_dim, d), initializer=init)

    def call(self, x, mask=None, training=None):
        ops = keras.ops
        q = ops.einsum("btd,dhk->bhtk", x, self.wq)
        k = ops.einsum("btd,dhk->bhtk", x, self.wk)
        v = ops.einsum("btd,dhk->bhtk", x, self.wv)
        scores = ops.einsum("bhqk,bhsk->bhqs", q, k) / ops.sqrt(ops.cast(self.key_dim, x.dtype))
        if mask is not None:
            key_mask = ops.expand_dims(ops.expand_dims(mask, 1), 1)  # (b,1,1,s)
            scores = ops.where(key_mask, scores, ops.full_like(scores, -1e9))
        attn = ops.softmax(scores, axis=-1)
        attn = self.drop(attn, training=training)
        ctx = ops.einsum("bhqs,bhsk->bhqk", attn, v)
        return ops.einsum("bhqk,hkd->bqd", ctx, self.wo)

    def compute_mask(self, x, mask=None):
        return mask

    def get_config(self):
        config = super().get_config()
        config.update({"num_heads": self.num_heads, "key_dim": self.key_dim, "dropout": self.dropout})
        return config


@keras.utils.register_keras_serializable(package="rw119")
class MaskedMeanPool(layers.Layer):
    def call(self, x, mask=None):
        ops = keras.ops
        if mask is None:
            return ops.mean(x, axis=1)
        m = ops.cast(ops.expand_dims(mask, -1), x.dtype)
        return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

    def compute_mask(self, x, mask=None):
        return None


@keras.utils.register_keras_serializable(package="rw119")
class TokenAndPosition(layers.Layer):
    def __init__(self, vocab, maxlen, dim, **kwargs):
        super().__init__(**kwargs)
        self.vocab, self.maxlen, self.dim = vocab, maxlen, dim
        self.tok = layers.Embedding(vocab, dim, mask_zero=True)
        self.pos = layers.Embedding(maxlen, dim)

    def build(self, input_shape):
        self.tok.build(input_shape)
        self.pos.build((self.maxlen,))

    def call(self, ids):
        positions = keras.ops.arange(keras.ops.shape(ids)[-1])
        return self.tok(ids) + self.pos(positions)[None]

    def compute_mask(self, ids, mask=None):
        return keras.ops.not_equal(ids, 0)

    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab, "maxlen": self.maxlen, "dim": self.dim}


# %%
def encoder_block(x, idx):
    attn = EinsumSelfAttention(HEADS, EMBED // HEADS, dropout=0.1, name=f"attn_{idx}")(x)
    x = layers.LayerNormalization(name=f"ln_a{idx}")(layers.Add()([x, attn]))
    ff = layers.Dense(EMBED * 2, activation="gelu")(x)
    ff = layers.Dense(EMBED)(ff)
    return layers.LayerNormalization(name=f"ln_b{idx}")(layers.Add()([x, ff]))


tokens = keras.Input((MAXLEN,), dtype="int32")
h = TokenAndPosition(VOCAB, MAXLEN, EMBED, name="embed")(tokens)
for i in range(BLOCKS):
    h = encoder_block(h, i)
pooled = MaskedMeanPool()(h)
logit = layers.Dense(1)(pooled)
model = keras.Model(tokens, logit)

model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="acc")],
)

# %%
train = tf.data.Dataset.from_tensor_slices((X[:448], y[:448])).shuffle(448).batch(BATCH)
valid = tf.data.Dataset.from_tensor_slices((X[448:], y[448:])).batch(BATCH)
model.fit(train, validation_data=valid, epochs=2, verbose=2)

# %%
model.save(MODEL_PATH)
model2 = keras.models.load_model(MODEL_PATH)
p1, p2 = model.predict(X[448:], verbose=0), model2.predict(X[448:], verbose=0)
print("reload max diff:", np.abs(p1 - p2).max())

# how much of the probe batch is padding, according to the embedding's mask
probe = X[448:452]
emb = model.get_layer("embed")
pad_frac = 1.0 - float(keras.ops.mean(keras.ops.cast(emb.compute_mask(probe), "float32")))
print(f"padded fraction in probe batch: {pad_frac:.2%}")
layer_cfg = model.get_layer("attn_0").get_config()
print("attention config:", {k: layer_cfg[k] for k in ("num_heads", "key_dim", "dropout")})
rebuilt = EinsumSelfAttention.from_config(layer_cfg)
rebuilt.build((None, MAXLEN, EMBED))
rebuilt.set_weights(model.get_layer("attn_0").get_weights())
x_probe = np.random.randn(2, MAXLEN, EMBED).astype("float32")
same = np.allclose(rebuilt(x_probe), model.get_layer("attn_0")(x_probe), atol=1e-6)
print("from_config + set_weights reproduces layer:", same)
