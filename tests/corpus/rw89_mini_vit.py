"""
Final assignment, Part B: "Attention is all you need ... for MNIST?"

Build a tiny Vision Transformer from scratch for 28x28 digits:
  * PatchEmbedding  - custom layer: split into 7x7 patches, project linearly
                      (implemented with tf.image.extract_patches, not Conv2D!)
  * ClassToken + learned positional embeddings (add_weight in build())
  * TransformerBlock - pre-norm MHA + MLP with residuals
Also includes Part A's hand-written dense layer (MyDense) which is reused
for the MLP head. Synthetic data; 1 epoch only, as the rubric allows.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HPARAMS = dict(
    image_size=28,
    patch_size=7,
    embed_dim=32,
    num_heads=4,
    mlp_dim=64,
    depth=2,
    num_classes=10,
    dropout=0.1,
    batch_size=64,
    lr=3e-4,
    weight_decay=1e-4,
)


class MyDense(layers.Layer):
    """Part A: y = act(xW + b), written by hand."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.w = self.add_weight(name="kernel", shape=(in_dim, self.units),
                                 initializer="glorot_uniform", trainable=True)
        self.b = self.add_weight(name="bias", shape=(self.units,),
                                 initializer="zeros", trainable=True)

    def call(self, inputs):
        # tensordot so it also works on (batch, seq, features)
        out = tf.tensordot(inputs, self.w, axes=[[-1], [0]]) + self.b
        return self.activation(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"units": self.units,
                    "activation": keras.activations.serialize(self.activation)})
        return cfg


class PatchEmbedding(layers.Layer):
    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.proj = MyDense(embed_dim, name="patch_proj")

    def call(self, images):
        p = self.patch_size
        patches = tf.image.extract_patches(
            images=images,
            sizes=[1, p, p, 1],
            strides=[1, p, p, 1],
            rates=[1, 1, 1, 1],
            padding="VALID",
        )  # (B, H/p, W/p, p*p*C)
        batch = tf.shape(patches)[0]
        n_patches = patches.shape[1] * patches.shape[2]
        patches = tf.reshape(patches, [batch, n_patches, patches.shape[-1]])
        return self.proj(patches)  # (B, N, D)


class ClassTokenAndPosition(layers.Layer):
    """Prepend a learnable [CLS] token and add learned position embeddings."""

    def build(self, input_shape):
        _, n_patches, dim = input_shape
        self.cls = self.add_weight(name="cls_token", shape=(1, 1, dim),
                                   initializer="zeros")
        self.pos = self.add_weight(name="pos_embed", shape=(1, n_patches + 1, dim),
                                   initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, x):
        batch = tf.shape(x)[0]
        cls = tf.broadcast_to(self.cls, [batch, 1, tf.shape(x)[-1]])
        x = tf.concat([cls, x], axis=1)  # (B, N+1, D)
        return x + self.pos


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, mlp_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = layers.MultiHeadAttention(num_heads=num_heads,
                                              key_dim=embed_dim // num_heads,
                                              dropout=dropout)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.mlp = keras.Sequential([
            MyDense(mlp_dim, activation="gelu"),
            layers.Dropout(dropout),
            MyDense(embed_dim),
            layers.Dropout(dropout),
        ])

    def call(self, x, training=False, return_attention=False):
        h = self.norm1(x)
        attn_out, scores = self.attn(h, h, return_attention_scores=True, training=training)
        x = x + attn_out
        x = x + self.mlp(self.norm2(x), training=training)
        if return_attention:
            return x, scores
        return x


def create_vit(hp):
    inputs = keras.Input(shape=(hp["image_size"], hp["image_size"], 1))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = PatchEmbedding(hp["patch_size"], hp["embed_dim"])(x)
    x = ClassTokenAndPosition()(x)
    for i in range(hp["depth"]):
        x = TransformerBlock(hp["embed_dim"], hp["num_heads"], hp["mlp_dim"],
                             hp["dropout"], name=f"encoder_block_{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    cls_out = x[:, 0]  # take the [CLS] token representation
    logits = MyDense(hp["num_classes"], name="head")(cls_out)
    return keras.Model(inputs, logits, name="mini_vit")


def main():
    n_patches = (HPARAMS["image_size"] // HPARAMS["patch_size"]) ** 2
    print("number of patches:", n_patches)

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(768, 28, 28, 1)).astype("float32")
    y = rng.integers(0, HPARAMS["num_classes"], size=(768,))
    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(768).batch(HPARAMS["batch_size"]).prefetch(2))

    # quick shape test for the custom layers before building the whole thing
    pe = PatchEmbedding(HPARAMS["patch_size"], HPARAMS["embed_dim"])
    tok = pe(x[:2] / 255.0)
    print("patch embedding:", tok.shape)
    print("with cls + pos:", ClassTokenAndPosition()(tok).shape)

    model = create_vit(HPARAMS)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=HPARAMS["lr"],
                                         weight_decay=HPARAMS["weight_decay"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(ds, epochs=1, verbose=2)

    # Part C: visualise what the CLS token attends to in the first block
    block = model.get_layer("encoder_block_0")
    embed = keras.Model(model.input, model.layers[3].output)  # output of ClassTokenAndPosition
    tokens = embed(x[:4])
    _, scores = block(tokens, return_attention=True)  # (B, heads, N+1, N+1)
    cls_attn = tf.reduce_mean(scores[:, :, 0, 1:], axis=1)  # avg over heads, drop CLS->CLS
    side = HPARAMS["image_size"] // HPARAMS["patch_size"]
    attn_map = tf.reshape(cls_attn, (-1, side, side))
    print("CLS attention map:", attn_map.shape)
    print(np.round(attn_map[0].numpy(), 3))


if __name__ == "__main__":
    main()
