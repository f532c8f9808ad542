"""Structured-output CVAE (Sohn et al. 2015): complete the bottom half of an
image given the top half.

Three networks, as in the paper:
    prior       p(z | x)        x = visible top half
    recognition q(z | x, y)     y = hidden bottom half
    generation  p(y | x, z)
The KL( q || p ) between the two diagonal Gaussians is attached with
add_loss() from a custom layer, and its weight is annealed from 0 -> 1 by a
callback that updates a non-trainable variable. Training uses plain
model.fit with an MSE reconstruction loss on y.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

H, W, C = 24, 24, 1
HALF = H // 2
LATENT = 6
BATCH_SIZE = 32
EPOCHS = 3
WARMUP_EPOCHS = 2


# -------------------------------------------------------------------- data --
def make_faces(n, seed=0):
    """Very crude 'faces': two eyes on top, a mouth whose curvature is random."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    out = np.zeros((n, H, W), np.float32)
    for i in range(n):
        ex = rng.uniform(5, 8)
        ey = rng.uniform(5, 9)
        for cx in (ex, W - ex):
            out[i] += np.exp(-((xx - cx) ** 2 + (yy - ey) ** 2) / 3.0)
        curve = rng.uniform(-0.15, 0.15)
        mouth_y = 17 + curve * (xx - W / 2) ** 2 / 4.0
        mask = (np.abs(yy - mouth_y) < 1.2) & (np.abs(xx - W / 2) < 7)
        out[i] += mask
    out = np.clip(out, 0, 1)[..., None]
    return out[:, :HALF], out[:, HALF:]    # (x = top, y = bottom)


# ------------------------------------------------------------------ layers --
class ReparamSample(keras.layers.Layer):
    def call(self, inputs):
        mu, logvar = inputs
        eps = tf.random.normal(tf.shape(mu))
        return mu + tf.exp(0.5 * logvar) * eps


class GaussianKL(keras.layers.Layer):
    """Adds beta * KL(N(mu_q, var_q) || N(mu_p, var_p)) to the model losses.

    Passes (mu_q, logvar_q) through unchanged so the layer sits on the path
    to the output -- otherwise the functional API prunes it (and its loss).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.beta = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="kl_beta")

    def call(self, inputs):
        mu_q, logvar_q, mu_p, logvar_p = inputs
        kl = 0.5 * (logvar_p - logvar_q
                    + (tf.exp(logvar_q) + tf.square(mu_q - mu_p)) / tf.exp(logvar_p)
                    - 1.0)
        kl = tf.reduce_mean(tf.reduce_sum(kl, axis=-1))
        self.add_loss(self.beta * kl)
        return mu_q, logvar_q


def conv_encoder(inp, name):
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu",
                            name=f"{name}_c1")(inp)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu",
                            name=f"{name}_c2")(x)
    return keras.layers.Flatten(name=f"{name}_flat")(x)


def gaussian_head(h, name):
    h = keras.layers.Dense(64, activation="relu", name=f"{name}_fc")(h)
    mu = keras.layers.Dense(LATENT, name=f"{name}_mu")(h)
    logvar = keras.layers.Dense(LATENT, name=f"{name}_logvar")(h)
    # keep log-variance in a sane range for numerical stability
    logvar = keras.layers.Lambda(lambda t: tf.clip_by_value(t, -8.0, 8.0),
                                 name=f"{name}_logvar_clip")(logvar)
    return mu, logvar


def build_generation_net():
    x_in = keras.Input((HALF, W, C), name="gen_x")
    z_in = keras.Input((LATENT,), name="gen_z")
    hx = conv_encoder(x_in, "gen")
    h = keras.layers.Concatenate()([hx, z_in])
    h = keras.layers.Dense((HALF // 4) * (W // 4) * 32, activation="relu")(h)
    h = keras.layers.Reshape((HALF // 4, W // 4, 32))(h)
    h = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(h)
    y_hat = keras.layers.Conv2D(C, 3, padding="same", activation="sigmoid")(h)
    return keras.Model([x_in, z_in], y_hat, name="generation")


def build_cvae():
    x_in = keras.Input((HALF, W, C), name="top_half")
    y_in = keras.Input((H - HALF, W, C), name="bottom_half")

    # prior p(z|x)
    mu_p, logvar_p = gaussian_head(conv_encoder(x_in, "prior"), "prior")

    # recognition q(z|x,y): stack the halves back into a full image
    xy = keras.layers.Concatenate(axis=1, name="full_image")([x_in, y_in])   # (B, H, W, C)
    mu_q, logvar_q = gaussian_head(conv_encoder(xy, "recog"), "recog")

    kl_layer = GaussianKL(name="kl")
    mu_q, logvar_q = kl_layer([mu_q, logvar_q, mu_p, logvar_p])
    z = ReparamSample(name="z")([mu_q, logvar_q])

    generation = build_generation_net()
    y_hat = generation([x_in, z])

    train_model = keras.Model([x_in, y_in], y_hat, name="cvae_train")
    prior_model = keras.Model(x_in, [mu_p, logvar_p], name="prior")
    return train_model, prior_model, generation, kl_layer


class KLAnnealing(keras.callbacks.Callback):
    def __init__(self, kl_layer, warmup_epochs):
        super().__init__()
        self.kl_layer = kl_layer
        self.warmup_epochs = warmup_epochs

    def on_epoch_begin(self, epoch, logs=None):
        beta = min(1.0, (epoch + 1) / float(self.warmup_epochs))
        self.kl_layer.beta.assign(beta)
        print(f"epoch {epoch + 1}: KL beta = {beta:.2f}")


def complete(prior_model, generation, x_top, n_samples=3):
    """Sample several plausible bottom halves for each top half."""
    mu_p, logvar_p = prior_model.predict(x_top, verbose=0)
    outs = []
    for _ in range(n_samples):
        z = mu_p + np.exp(0.5 * logvar_p) * np.random.randn(*mu_p.shape).astype("float32")
        outs.append(generation.predict([x_top, z], verbose=0))
    outs = np.stack(outs, axis=1)                                 # (B, S, HALF, W, C)
    tops = np.repeat(x_top[:, None], n_samples, axis=1)
    return np.concatenate([tops, outs], axis=2)                   # (B, S, H, W, C)


def main():
    x_train, y_train = make_faces(640, seed=0)
    x_test, y_test = make_faces(16, seed=1)
    print("top:", x_train.shape, "bottom:", y_train.shape)

    model, prior_model, generation, kl_layer = build_cvae()
    model.summary(line_length=100)

    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=lambda y, y_hat: tf.reduce_mean(
                      tf.reduce_sum(tf.square(y - y_hat), axis=[1, 2, 3])))

    train_ds = (tf.data.Dataset.from_tensor_slices(((x_train, y_train), y_train))
                .shuffle(640).batch(BATCH_SIZE))
    val_ds = tf.data.Dataset.from_tensor_slices(((x_test, y_test), y_test)).batch(BATCH_SIZE)

    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2,
              callbacks=[KLAnnealing(kl_layer, WARMUP_EPOCHS)])

    completions = complete(prior_model, generation, x_test[:4])
    print("completions:", completions.shape)
    diversity = completions[:, :, HALF:].std(axis=1).mean()
    print(f"mean pixel std across samples (diversity): {diversity:.4f}")


if __name__ == "__main__":
    main()
