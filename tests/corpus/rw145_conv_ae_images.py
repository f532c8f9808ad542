# Convolutional autoencoder on tiny synthetic "defect inspection" images.
# Normal parts: smooth gradient + circle. Defective parts: random bright scratches.
import numpy as np
import keras
from keras import layers

IMG = 28
N_TRAIN, N_TEST_OK, N_TEST_BAD = 320, 60, 20
BATCH = 32
EPOCHS = 2
PCTL = 99

np.random.seed(0)
keras.utils.set_random_seed(0)


def normal_part(n):
    yy, xx = np.mgrid[0:IMG, 0:IMG] / (IMG - 1)
    imgs = []
    for _ in range(n):
        cx, cy = np.random.uniform(0.35, 0.65, size=2)
        r = np.random.uniform(0.15, 0.25)
        circle = ((xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2).astype(np.float32)
        grad = 0.3 * (xx * np.random.uniform(0.5, 1.0))
        img = np.clip(grad + 0.6 * circle + 0.03 * np.random.randn(IMG, IMG), 0, 1)
        imgs.append(img)
    return np.stack(imgs)[..., None].astype("float32")


def add_scratches(imgs):
    out = imgs.copy()
    for img in out:
        for _ in range(np.random.randint(1, 4)):
            row = np.random.randint(2, IMG - 2)
            c0 = np.random.randint(0, IMG // 2)
            length = np.random.randint(8, IMG // 2)
            img[row:row + 2, c0:c0 + length, 0] = 1.0
    return out


encoder = keras.Sequential(
    [
        keras.Input((IMG, IMG, 1)),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # 14
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),  # 7
        layers.Flatten(),
        layers.Dense(32, name="latent"),
    ],
    name="encoder",
)

decoder = keras.Sequential(
    [
        keras.Input((32,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ],
    name="decoder",
)

autoencoder = keras.Sequential([encoder, decoder], name="conv_ae")
autoencoder.compile(optimizer="adam", loss="binary_crossentropy", metrics=["mae"])

x_train = normal_part(N_TRAIN)
x_ok = normal_part(N_TEST_OK)
x_bad = add_scratches(normal_part(N_TEST_BAD))

autoencoder.fit(x_train, x_train, epochs=EPOCHS, batch_size=BATCH, validation_split=0.1, verbose=2)


def pixel_errors(x):
    rec = autoencoder.predict(x, verbose=0)
    return np.square(x - rec)  # (n, H, W, 1)


train_map = pixel_errors(x_train)
train_scores = train_map.mean(axis=(1, 2, 3))
thr = np.percentile(train_scores, PCTL)
print(f"image-level threshold @ {PCTL}th pct: {thr:.5f}")

x_test = np.concatenate([x_ok, x_bad])
labels = np.r_[np.zeros(N_TEST_OK), np.ones(N_TEST_BAD)]
err_map = pixel_errors(x_test)
scores = err_map.mean(axis=(1, 2, 3))
flags = scores > thr

acc = np.mean(flags == labels.astype(bool))
print(f"accuracy={acc:.3f}  flagged={flags.sum()}/{len(flags)}")
print("mean score ok  :", scores[labels == 0].mean())
print("mean score bad :", scores[labels == 1].mean())

# crude localisation: per-pixel threshold from training error maps
pix_thr = np.percentile(train_map, 99.5)
defect_masks = err_map[..., 0] > pix_thr
for i in np.where(labels == 1)[0][:3]:
    ys, xs = np.nonzero(defect_masks[i])
    box = tuple(int(v) for v in (ys.min(), xs.min(), ys.max(), xs.max())) if len(ys) else None
    print(f"sample {i}: {defect_masks[i].sum()} suspicious pixels, bbox={box}")
