"""Bi-LSTM + custom additive attention layer for sentence classification.

The AttentionWithContext / Attention layers floating around GitHub for Keras 2
were written entirely with K.dot / K.tanh / K.exp / K.sum. This is a port of
that layer to Keras 3 (build() with add_weight, compute_mask, get_config),
still using tf.keras.backend ops, plus the "return attention weights"
sub-model via get_layer for visualisation.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras import initializers, layers

MAX_FEATURES = 1000
MAXLEN = 24
EMBED_DIM = 32
LSTM_UNITS = 24
N_CLASSES = 4
BATCH_SIZE = 32


class Attention(layers.Layer):
    """Keras layer implementing Raffel & Ellis style feed-forward attention.

    Input:  (samples, steps, features)
    Output: (samples, features)  [+ (samples, steps) weights if return_attention]
    """

    def __init__(self, bias=True, return_attention=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.init = initializers.get("glorot_uniform")
        self.bias = bias
        self.return_attention = return_attention

    def build(self, input_shape):
        assert len(input_shape) == 3
        self.step_dim = input_shape[1]
        self.features_dim = input_shape[-1]
        self.W = self.add_weight(shape=(self.features_dim, 1),
                                 initializer=self.init,
                                 name="{}_W".format(self.name))
        if self.bias:
            self.b = self.add_weight(shape=(self.step_dim,),
                                     initializer="zeros",
                                     name="{}_b".format(self.name))
        else:
            self.b = None
        super().build(input_shape)

    def compute_mask(self, inputs, mask=None):
        # the output is a pooled vector, no mask past this point
        return None

    def call(self, x, mask=None):
        features_dim = self.features_dim
        step_dim = self.step_dim

        # (B*T, F) . (F, 1) -> (B, T)
        eij = K.reshape(K.dot(K.reshape(x, (-1, features_dim)),
                              K.reshape(self.W, (features_dim, 1))),
                        (-1, step_dim))
        if self.bias:
            eij = eij + self.b
        eij = K.tanh(eij)

        a = K.exp(eij - K.max(eij, axis=1, keepdims=True))
        if mask is not None:
            # padded timesteps get zero weight
            a = a * K.cast(mask, K.floatx())
        a = a / K.cast(K.sum(a, axis=1, keepdims=True) + K.epsilon(), K.floatx())

        weighted_input = x * K.expand_dims(a)
        output = K.sum(weighted_input, axis=1)
        if self.return_attention:
            return [output, a]
        return output

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], self.features_dim)
        if self.return_attention:
            return [out, (input_shape[0], self.step_dim)]
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"bias": self.bias, "return_attention": self.return_attention})
        return config


def build_model():
    seq_in = layers.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
    x = layers.Embedding(MAX_FEATURES, EMBED_DIM, mask_zero=True, name="emb")(seq_in)
    x = layers.SpatialDropout1D(0.1)(x)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True),
                             name="bilstm")(x)
    context, att_weights = Attention(return_attention=True, name="attention")(x)

    # classic Kaggle trick: concat attention pooling with max + avg pooling
    # (Lambda so the backend op sees real tensors, not KerasTensors)
    max_pool = layers.Lambda(lambda t: K.max(t, axis=1), name="max_pool")(x)
    avg_pool = layers.GlobalAveragePooling1D(name="avg_pool")(x)
    merged = layers.concatenate([context, max_pool, avg_pool], name="pool_concat")
    h = layers.Dense(32, activation="relu")(merged)
    h = layers.Dropout(0.2)(h)
    out = layers.Dense(N_CLASSES, activation="softmax", name="probs")(h)
    return keras.Model(seq_in, out, name="bilstm_attention")


def synthetic_corpus(n, seed=0):
    """Each class plants a distinct 'keyword' token at a random position."""
    rng = np.random.RandomState(seed)
    X = np.zeros((n, MAXLEN), dtype="int32")
    y = rng.randint(0, N_CLASSES, size=n)
    for i in range(n):
        length = rng.randint(8, MAXLEN + 1)
        X[i, :length] = rng.randint(10, MAX_FEATURES, size=length)
        pos = rng.randint(0, length)
        X[i, pos] = 1 + y[i]  # tokens 1..N_CLASSES are the keywords
    return X, y


if __name__ == "__main__":
    tf.random.set_seed(0)
    X, y = synthetic_corpus(800)
    print("X:", X.shape, "class counts:", np.bincount(y))

    model = build_model()
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(2e-3),
                  metrics=["accuracy"])
    model.summary()

    model.fit(X, y, batch_size=BATCH_SIZE, epochs=2, validation_split=0.15, verbose=2)

    # model that exposes the attention weights of the trained network
    att_layer = model.get_layer("attention")
    att_model = keras.Model(inputs=model.input, outputs=att_layer.output[1])
    sample = X[:3]
    weights = att_model.predict(sample, verbose=0)
    print("attention weights:", weights.shape,
          "row sums:", np.round(weights.sum(axis=1), 3))
    for row, w in zip(sample, weights):
        nonpad = int((row > 0).sum())
        kw_pos = int(np.argmax((row > 0) & (row <= N_CLASSES)))
        print("  len=%2d keyword@%2d argmax_att=%2d pad_weight=%.4f"
              % (nonpad, kw_pos, int(w.argmax()), float(w[nonpad:].sum())))

    # round-trip the custom layer through its config to make sure get_config is right
    # (cloning the whole model would trip over the Lambda in safe_mode)
    cfg = att_layer.get_config()
    restored = Attention.from_config(cfg)
    ctx = restored(tf.random.normal((2, MAXLEN, 2 * LSTM_UNITS)))
    print("restored layer:", restored.name, restored.return_attention,
          [tuple(t.shape) for t in ctx])
