# MLP-Mixer from scratch, trained with a hand-written tf.function loop.
# Patching is done with a strided Conv2D (the "stem"), then token-mixing and
# channel-mixing MLPs alternate.
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    img_size=32,
    channels=3,
    patch=8,
    hidden_dim=64,
    tokens_mlp_dim=32,
    channels_mlp_dim=128,
    num_blocks=3,
    num_classes=5,
    n_samples=320,
    batch_size=32,
    epochs=2,
    lr=2e-3,
    seed=123,
)

tf.random.set_seed(CFG["seed"])
np.random.seed(CFG["seed"])


def synth_blobs(n, size, num_classes):
    """Image of a gaussian blob; class = which region of the image it's in."""
    imgs = np.random.rand(n, size, size, CFG["channels"]).astype(np.float32) * 0.2
    labels = np.random.randint(0, num_classes, size=n)
    centers = [(size * (k + 1) / (num_classes + 1), size * ((k * 3) % num_classes + 1) / (num_classes + 1))
               for k in range(num_classes)]
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    for i, lbl in enumerate(labels):
        cy, cx = centers[lbl]
        cy += np.random.uniform(-2, 2)
        cx += np.random.uniform(-2, 2)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0 ** 2))
        imgs[i] += blob[..., None] * np.array([1.0, 0.6, 0.3], dtype=np.float32)
    return imgs, labels.astype(np.int64)


class MlpBlock(layers.Layer):
    def __init__(self, hidden, out_dim=None, **kw):
        super().__init__(**kw)
        self.hidden = hidden
        self.out_dim = out_dim

    def build(self, input_shape):
        out = self.out_dim or input_shape[-1]
        self.fc1 = layers.Dense(self.hidden, activation="gelu")
        self.fc2 = layers.Dense(out)
        self.fc1.build(input_shape)
        self.fc2.build((*input_shape[:-1], self.hidden))
        super().build(input_shape)

    def call(self, x):
        return self.fc2(self.fc1(x))


class MixerBlock(layers.Layer):
    def __init__(self, tokens_mlp_dim, channels_mlp_dim, **kw):
        super().__init__(**kw)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.token_mlp = MlpBlock(tokens_mlp_dim)
        self.channel_mlp = MlpBlock(channels_mlp_dim)

    def call(self, x):
        # x: (batch, tokens, channels)
        y = self.norm1(x)
        y = tf.transpose(y, perm=[0, 2, 1])       # mix across tokens
        y = self.token_mlp(y)
        y = tf.transpose(y, perm=[0, 2, 1])
        x = x + y
        y = self.norm2(x)
        return x + self.channel_mlp(y)


def build_mixer(cfg):
    inp = keras.Input((cfg["img_size"], cfg["img_size"], cfg["channels"]), name="image")
    x = layers.Rescaling(1.0 / 1.5)(inp)
    x = layers.Conv2D(cfg["hidden_dim"], kernel_size=cfg["patch"], strides=cfg["patch"], name="stem")(x)
    n_tokens = (cfg["img_size"] // cfg["patch"]) ** 2
    x = layers.Reshape((n_tokens, cfg["hidden_dim"]))(x)
    for b in range(cfg["num_blocks"]):
        x = MixerBlock(cfg["tokens_mlp_dim"], cfg["channels_mlp_dim"], name=f"mixer_{b}")(x)
    x = layers.LayerNormalization(name="pre_head_ln")(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(cfg["num_classes"], name="head")(x)
    return keras.Model(inp, out, name="mlp_mixer")


def make_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=CFG["seed"])

    def augment(img, lbl):
        # brightness jitter + noise on roughly half the samples
        # (no flips: the label depends on where the blob is)
        delta = tf.random.uniform([], -0.05, 0.05)
        add_noise = tf.random.uniform([]) > 0.5
        noisy = img + tf.random.normal(tf.shape(img), stddev=0.03)
        img = tf.where(add_noise, noisy, img) + delta
        return img, lbl

    if training:
        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(CFG["batch_size"]).prefetch(tf.data.AUTOTUNE)


def cosine_lr(step, total, base):
    return base * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


def main():
    x, y = synth_blobs(CFG["n_samples"], CFG["img_size"], CFG["num_classes"])
    n_val = CFG["n_samples"] // 5
    train_ds = make_ds(x[n_val:], y[n_val:], training=True)
    val_ds = make_ds(x[:n_val], y[:n_val], training=False)

    model = build_mixer(CFG)
    print(f"{model.name}: {model.count_params():,} params")

    optimizer = keras.optimizers.Adam(learning_rate=CFG["lr"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()
    train_loss = keras.metrics.Mean()

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = loss_fn(labels, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        train_acc.update_state(labels, logits)
        return loss

    @tf.function
    def eval_step(images, labels):
        logits = model(images, training=False)
        val_acc.update_state(labels, logits)

    steps_per_epoch = math.ceil((CFG["n_samples"] - n_val) / CFG["batch_size"])
    total_steps = steps_per_epoch * CFG["epochs"]
    step = 0
    for epoch in range(CFG["epochs"]):
        t0 = time.time()
        for m in (train_acc, val_acc, train_loss):
            m.reset_state()
        for images, labels in train_ds:
            optimizer.learning_rate.assign(cosine_lr(step, total_steps, CFG["lr"]))
            train_step(images, labels)
            step += 1
        for images, labels in val_ds:
            eval_step(images, labels)
        print(
            f"epoch {epoch + 1}/{CFG['epochs']} "
            f"loss={float(train_loss.result()):.4f} "
            f"acc={float(train_acc.result()):.3f} "
            f"val_acc={float(val_acc.result()):.3f} "
            f"lr={float(optimizer.learning_rate.numpy()):.2e} "
            f"({time.time() - t0:.1f}s)"
        )

    # peek at token-mixing weights of the first block
    first = model.get_layer("mixer_0")
    print("token-mix fc1 kernel shape:", tuple(first.token_mlp.fc1.kernel.shape))


if __name__ == "__main__":
    main()
