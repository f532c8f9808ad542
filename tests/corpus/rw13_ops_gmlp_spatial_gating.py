"""gMLP token classifier with a Spatial Gating Unit, keras.ops only.

Each gMLP block projects channels up, splits the result in two halves with
ops.split, and gates one half with a linear projection taken across the
token (spatial) axis of the other half.  The spatial projection is applied
by transposing tokens <-> channels.  Random integer sequences are used as a
toy text-classification task.
"""
import numpy as np
import keras
from keras import layers, ops

VOCAB = 500
SEQ_LEN = 32
EMBED = 64
FFN = 128
NUM_BLOCKS = 2
NUM_CLASSES = 3


@keras.saving.register_keras_serializable(package="rw13")
class SpatialGatingUnit(layers.Layer):
    def __init__(self, seq_len, **kwargs):
        super().__init__(**kwargs)
        self.seq_len = seq_len
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        # Near-identity gate at init: zero kernel, bias one.
        self.spatial_proj = layers.Dense(
            seq_len, kernel_initializer="zeros", bias_initializer="ones"
        )

    def build(self, input_shape):
        half = input_shape[-1] // 2
        self.norm.build((*input_shape[:-1], half))
        self.spatial_proj.build((input_shape[0], half, self.seq_len))

    def call(self, x):
        u, v = ops.split(x, 2, axis=-1)
        v = self.norm(v)
        v = ops.transpose(v, (0, 2, 1))      # (B, C/2, L)
        v = self.spatial_proj(v)             # mixes along tokens
        v = ops.transpose(v, (0, 2, 1))      # (B, L, C/2)
        return u * v

    def get_config(self):
        return {**super().get_config(), "seq_len": self.seq_len}


@keras.saving.register_keras_serializable(package="rw13")
class GMLPBlock(layers.Layer):
    def __init__(self, embed_dim, ffn_dim, seq_len, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.ffn_dim = ffn_dim
        self.seq_len = seq_len
        self.dropout = dropout
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.proj_in = layers.Dense(ffn_dim, activation="gelu")
        self.sgu = SpatialGatingUnit(seq_len)
        self.proj_out = layers.Dense(embed_dim)
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        self.norm.build(input_shape)
        self.proj_in.build(input_shape)
        hidden_shape = (*input_shape[:-1], self.ffn_dim)
        self.sgu.build(hidden_shape)
        self.proj_out.build((*input_shape[:-1], self.ffn_dim // 2))

    def call(self, x, training=None):
        h = self.norm(x)
        h = self.proj_in(h)
        h = self.sgu(h)
        h = self.proj_out(h)
        return x + self.drop(h, training=training)

    def get_config(self):
        return {
            **super().get_config(),
            "embed_dim": self.embed_dim,
            "ffn_dim": self.ffn_dim,
            "seq_len": self.seq_len,
            "dropout": self.dropout,
        }


def build_gmlp():
    tokens = keras.Input((SEQ_LEN,), dtype="int32", name="token_ids")
    x = layers.Embedding(VOCAB, EMBED, name="embed")(tokens)
    for i in range(NUM_BLOCKS):
        x = GMLPBlock(EMBED, FFN, SEQ_LEN, name=f"gmlp_{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(tokens, out, name="gmlp_classifier")


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    n = 128
    x = np.random.randint(1, VOCAB, size=(n, SEQ_LEN)).astype("int32")
    y = keras.utils.to_categorical(np.random.randint(0, NUM_CLASSES, size=(n,)), NUM_CLASSES)

    model = build_gmlp()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(line_length=90)
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1),
    ]
    model.fit(x, y, batch_size=32, epochs=1, callbacks=callbacks, verbose=2)

    # Round-trip the config to make sure the custom layers serialize.
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    a = model.predict(x[:8], verbose=0)
    b = clone.predict(x[:8], verbose=0)
    print("max diff after clone:", float(np.max(np.abs(a - b))))
