"""Porting old `from keras import backend as K` code to keras.ops, and merging branches.

Old snippets used K.expand_dims, K.batch_dot, K.softmax, K.sum etc. In Keras 3
those live in keras.ops. This builds a small two-branch text/number model with
a hand-written attention pooling layer and several merge styles.
"""
import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(7)

MAXLEN = 24
VOCAB_SIZE = 500
EMBED = 32
NUM_FEATS = 6


class AttentionPooling(layers.Layer):
    """Bahdanau-style additive attention pooling over time.

    (batch, T, D) -> (batch, D). Formerly written with K.tanh/K.dot/K.softmax.
    """

    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        d = input_shape[-1]
        self.W = self.add_weight(shape=(d, self.units), initializer="glorot_uniform", name="W")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.u = self.add_weight(shape=(self.units, 1), initializer="glorot_uniform", name="u")

    def call(self, x, mask=None):
        score = ops.tanh(ops.matmul(x, self.W) + self.b)      # (B, T, units)
        score = ops.squeeze(ops.matmul(score, self.u), -1)    # (B, T)
        if mask is not None:
            score = ops.where(mask, score, ops.full_like(score, -1e9))
        alpha = ops.softmax(score, axis=-1)                   # (B, T)
        self._last_alpha_shape = alpha.shape
        context = ops.sum(x * ops.expand_dims(alpha, -1), axis=1)  # (B, D)
        return context

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class GatedMerge(layers.Layer):
    """g * a + (1 - g) * b with g = sigmoid(W[a;b])  -- both inputs must share last dim."""

    def build(self, input_shapes):
        a_shape, b_shape = input_shapes
        self.gate = layers.Dense(a_shape[-1], activation="sigmoid")
        self.gate.build((None, a_shape[-1] + b_shape[-1]))

    def call(self, inputs):
        a, b = inputs
        g = self.gate(ops.concatenate([a, b], axis=-1))
        return g * a + (1.0 - g) * b


def text_branch(tokens):
    x = layers.Embedding(VOCAB_SIZE, EMBED, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.GRU(16, return_sequences=True))(x)   # (B, T, 32)
    return AttentionPooling(units=16, name="attn_pool")(x)               # (B, 32)


def numeric_branch(feats):
    x = layers.BatchNormalization()(feats)
    return layers.Dense(32, activation="relu")(x)


tokens = keras.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
numeric = keras.Input(shape=(NUM_FEATS,), name="numeric")

t = text_branch(tokens)
n = numeric_branch(numeric)

merged_concat = layers.Concatenate(name="concat")([t, n])      # (B, 64)
merged_add = layers.Add(name="add")([t, n])                     # (B, 32)
merged_mul = layers.Multiply(name="mul")([t, n])                # (B, 32)
merged_gate = GatedMerge(name="gated")([t, n])                  # (B, 32)
merged_dot = layers.Dot(axes=1, normalize=True, name="cos")([t, n])  # (B, 1)

all_feats = layers.Concatenate()([merged_concat, merged_add, merged_mul, merged_gate, merged_dot])
print("merged feature width:", all_feats.shape[-1])
h = layers.Dense(32, activation="relu")(all_feats)
out = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model([tokens, numeric], out)
model.summary()

# data: padded sequences with variable lengths
n_samples = 200
lengths = np.random.randint(4, MAXLEN + 1, size=n_samples)
seqs = [np.random.randint(1, VOCAB_SIZE, size=l).tolist() for l in lengths]
X_tok = keras.utils.pad_sequences(seqs, maxlen=MAXLEN, padding="post")
X_num = np.random.randn(n_samples, NUM_FEATS).astype("float32")
y = np.random.randint(0, 2, size=(n_samples, 1)).astype("float32")
print("padded tokens:", X_tok.shape, X_tok.dtype)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit([X_tok, X_num], y, batch_size=25, epochs=1, verbose=2)

# K.function-style feature extractor is now just a sub-model
extractor = keras.Model(model.inputs, model.get_layer("attn_pool").output)
ctx = extractor.predict([X_tok[:5], X_num[:5]], verbose=0)
print("attention context:", ctx.shape)

# a few backend-op equivalents on concrete arrays
a = ops.convert_to_tensor(np.random.rand(4, 3, 5).astype("float32"))
b = ops.convert_to_tensor(np.random.rand(4, 5, 2).astype("float32"))
print("batch matmul (K.batch_dot):", ops.matmul(a, b).shape)
print("einsum:", ops.einsum("btd,bde->bte", a, b).shape)
print("K.repeat equivalent:", ops.repeat(ops.expand_dims(a[:, 0, :], 1), 3, axis=1).shape)
print("K.permute_dimensions:", ops.transpose(a, (0, 2, 1)).shape)
print("K.flatten-per-sample:", ops.reshape(a, (ops.shape(a)[0], -1)).shape)
