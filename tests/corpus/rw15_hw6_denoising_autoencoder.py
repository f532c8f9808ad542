"""
Lab 6 -- Convolutional denoising autoencoder
============================================

Encoder: Conv2D with stride 2 (28x28 -> 14x14 -> 7x7)
Decoder: Conv2DTranspose back up to 28x28, sigmoid output.

We corrupt clean images with Gaussian noise and train the network to
recover the clean version. Data: random "blob" images built with numpy
(smooth shapes so there is actually something to denoise).
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

np.random.seed(3)
tf.random.set_seed(3)

IMG = 28
NOISE_FACTOR = 0.4


def make_blob_images(n):
    """Draw one or two bright Gaussian blobs on a black 28x28 canvas."""
    yy, xx = np.mgrid[0:IMG, 0:IMG]
    imgs = np.zeros((n, IMG, IMG), dtype="float32")
    for i in range(n):
        for _ in range(np.random.randint(1, 3)):
            cy, cx = np.random.uniform(5, 23, size=2)
            s = np.random.uniform(2, 5)
            imgs[i] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s ** 2))
    return np.clip(imgs, 0.0, 1.0)


# ---- Part 1: data -----------------------------------------------------------
x_train = make_blob_images(384)[..., None]
x_test = make_blob_images(64)[..., None]
print("x_train clean:", x_train.shape, "range", x_train.min(), x_train.max())

x_train_noisy = x_train + NOISE_FACTOR * np.random.normal(size=x_train.shape).astype("float32")
x_test_noisy = x_test + NOISE_FACTOR * np.random.normal(size=x_test.shape).astype("float32")
x_train_noisy = np.clip(x_train_noisy, 0.0, 1.0)
x_test_noisy = np.clip(x_test_noisy, 0.0, 1.0)
print("x_train noisy:", x_train_noisy.shape)


def psnr(clean, other):
    mse = np.mean((clean - other) ** 2, axis=(1, 2, 3))
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-10))


print("PSNR noisy vs clean (test): %.2f dB" % psnr(x_test, x_test_noisy).mean())


# ---- Part 2: model ----------------------------------------------------------
def build_encoder(latent_filters=32):
    inp = keras.Input(shape=(IMG, IMG, 1))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    print("encoder after conv1:", x.shape)
    x = layers.Conv2D(latent_filters, 3, strides=2, padding="same", activation="relu")(x)
    print("encoder after conv2:", x.shape)
    return keras.Model(inp, x, name="encoder")


def build_decoder(latent_filters=32):
    inp = keras.Input(shape=(7, 7, latent_filters))
    x = layers.Conv2DTranspose(latent_filters, 3, strides=2, padding="same", activation="relu")(inp)
    print("decoder after deconv1:", x.shape)
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    print("decoder after deconv2:", x.shape)
    out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    print("decoder output:", out.shape)
    return keras.Model(inp, out, name="decoder")


def build_model(latent_filters=32, loss="binary_crossentropy", lr=1e-3):
    # TODO (done): chain encoder + decoder and compile
    encoder = build_encoder(latent_filters)
    decoder = build_decoder(latent_filters)
    inp = keras.Input(shape=(IMG, IMG, 1), name="noisy")
    recon = decoder(encoder(inp))
    ae = keras.Model(inp, recon, name="denoising_ae")
    ae.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=["mse"])
    return ae, encoder, decoder


autoencoder, encoder, decoder = build_model()
autoencoder.summary()
encoder.summary()
decoder.summary()

# ---- Part 3: compare loss functions / bottleneck sizes --------------------
experiments = [
    {"latent_filters": 8,  "loss": "mse"},
    {"latent_filters": 32, "loss": "mse"},
    {"latent_filters": 32, "loss": "binary_crossentropy"},
]

learning_curves = {}
for exp in experiments:
    tag = f"lf{exp['latent_filters']}_{exp['loss']}"
    ae, enc, dec = build_model(**exp)
    h = ae.fit(x_train_noisy, x_train,
               validation_data=(x_test_noisy, x_test),
               epochs=1, batch_size=64, shuffle=True, verbose=0)
    learning_curves[tag] = {k: [round(float(v), 5) for v in vs] for k, vs in h.history.items()}
    denoised = ae.predict(x_test_noisy, verbose=0)
    learning_curves[tag]["psnr"] = float(psnr(x_test, denoised).mean())
    code = enc.predict(x_test_noisy[:2], verbose=0)
    print(tag, "latent code:", code.shape, "-> compression %.1fx" % (IMG * IMG / code[0].size))

print("\nsetting                       val_mse    PSNR")
for tag, c in learning_curves.items():
    print(f"{tag:28s}  {c['val_mse'][-1]:.5f}   {c['psnr']:.2f} dB")

# ---- Part 4: "visualize" a reconstruction as ASCII art --------------------
denoised = autoencoder.predict(x_test_noisy[:1], verbose=0)
print("denoised:", denoised.shape)
chars = " .:-=+*#%@"
for row in denoised[0, ::3, ::2, 0]:
    print("".join(chars[min(int(v * 10), 9)] for v in row))
