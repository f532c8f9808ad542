"""Convolutional denoising autoencoder (subclassed keras.Model).

MNIST-style 28x28 grayscale digits are faked with random strokes; Gaussian +
salt-and-pepper noise is injected inside the tf.data pipeline so every epoch
sees fresh corruption. The model is a classic encoder/decoder with skip-free
bottleneck and Conv2DTranspose upsampling.
"""
import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

CONFIG = {
    "img_shape": (28, 28, 1),
    "n_train": 256,
    "n_val": 64,
    "batch_size": 32,
    "epochs": 1,
    "noise_std": 0.3,
    "salt_pepper_prob": 0.05,
    "filters": [32, 64],
    "latent_channels": 8,
    "lr": 1e-3,
}


def fake_digits(n, shape, seed=0):
    """Random thick line segments on black background, roughly digit-like."""
    rng = np.random.default_rng(seed)
    h, w, _ = shape
    imgs = np.zeros((n, h, w, 1), dtype="float32")
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            x0, y0, x1, y1 = rng.integers(4, h - 4, size=4)
            steps = max(abs(x1 - x0), abs(y1 - y0)) + 1
            xs = np.linspace(x0, x1, steps).astype(int)
            ys = np.linspace(y0, y1, steps).astype(int)
            for dx in (-1, 0, 1):
                imgs[i, np.clip(ys, 0, h - 1), np.clip(xs + dx, 0, w - 1), 0] = 1.0
    return imgs


def corrupt(clean, cfg=CONFIG):
    noisy = clean + tf.random.normal(tf.shape(clean), stddev=cfg["noise_std"])
    # salt & pepper: pick pixels and force them to 0 or 1
    u = tf.random.uniform(tf.shape(clean))
    p = cfg["salt_pepper_prob"]
    noisy = tf.where(u < p / 2, 0.0, noisy)
    noisy = tf.where(u > 1.0 - p / 2, 1.0, noisy)
    return tf.clip_by_value(noisy, 0.0, 1.0), clean


def make_ds(images, cfg=CONFIG, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        ds = ds.shuffle(1024)
    ds = ds.batch(cfg["batch_size"])
    # corrupting after batching is cheaper: one RNG call per batch
    ds = ds.map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


class Encoder(layers.Layer):
    def __init__(self, filters, latent_channels, **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        for f in filters:
            self.blocks.append([
                layers.Conv2D(f, 3, padding="same", activation="relu"),
                layers.BatchNormalization(),
                layers.MaxPooling2D(2, padding="same"),
            ])
        self.to_latent = layers.Conv2D(latent_channels, 1, activation="relu")

    def call(self, x, training=False):
        for conv, bn, pool in self.blocks:
            x = pool(bn(conv(x), training=training))
        return self.to_latent(x)


class Decoder(layers.Layer):
    def __init__(self, filters, out_channels, **kwargs):
        super().__init__(**kwargs)
        self.ups = [layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")
                    for f in reversed(filters)]
        self.head = layers.Conv2D(out_channels, 3, padding="same", activation="sigmoid")

    def call(self, z):
        for up in self.ups:
            z = up(z)
        return self.head(z)


class DenoisingAutoencoder(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.encoder = Encoder(cfg["filters"], cfg["latent_channels"], name="encoder")
        self.decoder = Decoder(cfg["filters"], cfg["img_shape"][-1], name="decoder")

    def call(self, inputs, training=False):
        z = self.encoder(inputs, training=training)
        return self.decoder(z)


def ssim_metric(y_true, y_pred):
    return tf.reduce_mean(tf.image.ssim(y_true, y_pred, max_val=1.0, filter_size=7))


def main(cfg=CONFIG):
    x_train = fake_digits(cfg["n_train"], cfg["img_shape"], seed=1)
    x_val = fake_digits(cfg["n_val"], cfg["img_shape"], seed=2)
    train_ds, val_ds = make_ds(x_train, cfg), make_ds(x_val, cfg, shuffle=False)

    model = DenoisingAutoencoder(cfg)
    # subclassed model: run a dummy batch through it so summary() has shapes
    dummy = ops.zeros((1,) + tuple(cfg["img_shape"]))
    _ = model(dummy)
    model.summary()

    z = model.encoder(dummy)
    print("latent shape:", z.shape,
          "compression:", np.prod(cfg["img_shape"]) / np.prod(z.shape[1:]))

    model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]),
                  loss="binary_crossentropy",
                  metrics=["mae", ssim_metric])
    history = model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    noisy, clean = next(iter(val_ds))
    denoised = model.predict(noisy, verbose=0)
    mse_noisy = float(ops.mean(ops.square(noisy - clean)))
    mse_denoised = float(ops.mean(ops.square(denoised - clean)))
    print(f"MSE noisy vs clean: {mse_noisy:.4f} | denoised vs clean: {mse_denoised:.4f}")


if __name__ == "__main__":
    main()
