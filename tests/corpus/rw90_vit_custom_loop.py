"""Small Vision Transformer with a hand-written training loop.

Model pieces (patch extraction, [CLS] token, learned position embeddings,
encoder blocks) are backend-agnostic Keras 3 layers built on keras.ops.
The training loop itself is the TensorFlow flavour from the Keras 3
"writing a training loop from scratch" guide: tf.GradientTape +
`optimizer.apply`, compiled with tf.function.
"""
import time

import numpy as np
import keras
from keras import layers, ops

if keras.backend.backend() != "tensorflow":
    raise SystemExit("the training loop below is written for the TF backend")
import tensorflow as tf  # noqa: E402

HPARAMS = dict(
    image_size=24,
    channels=3,
    patch_size=6,
    proj_dim=32,
    num_heads=4,
    depth=2,
    mlp_ratio=2,
    num_classes=4,
    batch_size=32,
    steps_per_epoch=6,
    epochs=2,
    learning_rate=1e-3,
)


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch = ops.shape(images)[0]
        patches = ops.image.extract_patches(images, size=self.patch_size)
        # (B, H/p, W/p, p*p*C) -> (B, N, p*p*C)
        n_h, n_w, dim = patches.shape[1], patches.shape[2], patches.shape[3]
        return ops.reshape(patches, (batch, n_h * n_w, dim))

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


class PatchEncoder(layers.Layer):
    """Linear projection + prepended [CLS] token + learned positions."""

    def __init__(self, num_patches, proj_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.proj_dim = proj_dim
        self.projection = layers.Dense(proj_dim)

    def build(self, input_shape):
        self.projection.build(input_shape)
        self.cls_token = self.add_weight(
            name="cls_token", shape=(1, 1, self.proj_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02))
        self.pos_embedding = self.add_weight(
            name="pos_embedding", shape=(1, self.num_patches + 1, self.proj_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02))

    def call(self, patches):
        x = self.projection(patches)
        cls = ops.broadcast_to(self.cls_token, (ops.shape(x)[0], 1, self.proj_dim))
        x = ops.concatenate([cls, x], axis=1)
        return x + self.pos_embedding


class TransformerEncoder(layers.Layer):
    def __init__(self, dim, heads, mlp_ratio, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.mha = layers.MultiHeadAttention(heads, key_dim=dim // heads, dropout=dropout)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.fc1 = layers.Dense(dim * mlp_ratio, activation="gelu")
        self.fc2 = layers.Dense(dim)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=None, return_scores=False):
        h = self.ln1(x)
        h, scores = self.mha(h, h, training=training, return_attention_scores=True)
        x = x + h
        h = self.fc2(self.drop(self.fc1(self.ln2(x)), training=training))
        x = x + self.drop(h, training=training)
        return (x, scores) if return_scores else x


def create_vit(hp):
    n_patches = (hp["image_size"] // hp["patch_size"]) ** 2
    inputs = keras.Input((hp["image_size"], hp["image_size"], hp["channels"]))
    x = layers.Normalization(mean=0.5, variance=0.0833, name="norm")(inputs)
    x = Patches(hp["patch_size"], name="patches")(x)
    x = PatchEncoder(n_patches, hp["proj_dim"], name="patch_encoder")(x)
    for i in range(hp["depth"]):
        x = TransformerEncoder(hp["proj_dim"], hp["num_heads"], hp["mlp_ratio"],
                               name=f"encoder_{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    cls_out = x[:, 0]  # take the [CLS] position
    logits = layers.Dense(hp["num_classes"], name="classifier")(cls_out)
    return keras.Model(inputs, logits, name="vit_tiny")


def synthetic_stripes(n, hp, seed=0):
    """Class k = stripes at orientation k*45 degrees."""
    rng = np.random.default_rng(seed)
    s = hp["image_size"]
    yy, xx = np.mgrid[0:s, 0:s].astype("float32")
    labels = rng.integers(0, hp["num_classes"], n)
    angles = labels * np.pi / hp["num_classes"]
    freq = rng.uniform(0.5, 0.9, size=n)
    phase = rng.uniform(0, 2 * np.pi, size=n)
    proj = (np.cos(angles)[:, None, None] * xx + np.sin(angles)[:, None, None] * yy)
    img = 0.5 + 0.5 * np.sin(freq[:, None, None] * proj + phase[:, None, None])
    img = np.repeat(img[..., None], hp["channels"], axis=-1)
    img += 0.05 * rng.normal(size=img.shape)
    return img.astype("float32"), labels.astype("int32")


def main(hp=HPARAMS):
    keras.utils.set_random_seed(1)
    model = create_vit(hp)
    model.summary(line_length=90)

    n_train = hp["batch_size"] * hp["steps_per_epoch"]
    x_train, y_train = synthetic_stripes(n_train, hp)
    x_val, y_val = synthetic_stripes(64, hp, seed=1)
    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(n_train).batch(hp["batch_size"], drop_remainder=True))
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(hp["batch_size"])

    optimizer = keras.optimizers.Adam(hp["learning_rate"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()
    loss_tracker = keras.metrics.Mean()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_weights)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply(grads, model.trainable_weights)
        train_acc.update_state(y, logits)
        loss_tracker.update_state(loss)
        return loss

    @tf.function
    def eval_step(x, y):
        val_acc.update_state(y, model(x, training=False))

    for epoch in range(hp["epochs"]):
        t0 = time.time()
        for step, (xb, yb) in enumerate(train_ds):
            loss = train_step(xb, yb)
            if step % 3 == 0:
                print(f"epoch {epoch} step {step}: loss={float(loss):.4f}")
        for xb, yb in val_ds:
            eval_step(xb, yb)
        print(f"epoch {epoch}: train_loss={float(loss_tracker.result()):.4f} "
              f"train_acc={float(train_acc.result()):.3f} "
              f"val_acc={float(val_acc.result()):.3f} ({time.time() - t0:.1f}s)")
        for m in (train_acc, val_acc, loss_tracker):
            m.reset_state()

    # peek at the [CLS] attention of the last block for one image
    enc = model.get_layer(f"encoder_{hp['depth'] - 1}")
    upto = keras.Model(model.input, enc.input)
    _, scores = enc(upto(x_val[:1]), return_scores=True)
    cls_attn = ops.mean(scores[0, :, 0, 1:], axis=0)   # avg over heads, skip CLS->CLS
    side = hp["image_size"] // hp["patch_size"]
    print("CLS attention map:\n", np.round(ops.convert_to_numpy(
        ops.reshape(cls_attn, (side, side))), 3))


if __name__ == "__main__":
    main()
