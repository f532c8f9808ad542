import numpy as np
import tensorflow as tf
import keras
from keras import layers

# --- settings -------------------------------------------------------------
IMG = 48
BANDS = 4            # R, G, B, NIR
N_TRAIN, N_TEST = 192, 24
EPOCHS = 3
BS = 16
THRESH = 0.5

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)


# --- synthetic "building footprint" data ---------------------------------
def random_rectangles(n):
    imgs = rng.normal(0.3, 0.05, (n, IMG, IMG, BANDS)).astype("float32")
    masks = np.zeros((n, IMG, IMG, 1), "float32")
    for i in range(n):
        for _ in range(rng.integers(1, 5)):
            h, w = rng.integers(5, 14, size=2)
            y, x = rng.integers(0, IMG - h), rng.integers(0, IMG - w)
            masks[i, y:y + h, x:x + w] = 1.0
            # roofs: bright in RGB, low NIR; put an L-shaped shadow to break symmetry
            imgs[i, y:y + h, x:x + w, :3] += 0.4
            imgs[i, y:y + h, x:x + w, 3] -= 0.15
            imgs[i, y + h:y + h + 2, x:x + w, :] -= 0.2
    return np.clip(imgs, 0, 1), masks


x_train, y_train = random_rectangles(N_TRAIN)
x_test, y_test = random_rectangles(N_TEST)


# --- model: plain sequential-ish encoder/decoder -------------------------
model = keras.Sequential([
    keras.Input((IMG, IMG, BANDS)),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding="same", activation="relu"),
    layers.UpSampling2D(interpolation="bilinear"),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.UpSampling2D(interpolation="bilinear"),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.Conv2D(1, 1, activation="sigmoid"),
])
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.BinaryFocalCrossentropy(gamma=1.0, apply_class_balancing=True, alpha=0.6),
    metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], threshold=THRESH, name="iou")],
)
model.fit(x_train, y_train, batch_size=BS, epochs=EPOCHS, validation_split=0.1, verbose=2)


# --- test-time augmentation ----------------------------------------------
# each entry: (name, forward transform, inverse transform), all on NHWC numpy arrays
def rot(k):
    return lambda a: np.rot90(a, k=k, axes=(1, 2))


TTA = [
    ("identity", lambda a: a, lambda a: a),
    ("hflip", lambda a: a[:, :, ::-1], lambda a: a[:, :, ::-1]),
    ("vflip", lambda a: a[:, ::-1], lambda a: a[:, ::-1]),
] + [(f"rot{90 * k}", rot(k), rot(-k)) for k in (1, 2, 3)]


def predict_tta(model, images, transforms=TTA, batch_size=BS):
    accum = np.zeros(images.shape[:-1] + (1,), dtype=np.float64)
    per_tf = {}
    for name, fwd, inv in transforms:
        aug = np.ascontiguousarray(fwd(images))
        p = model.predict(aug, batch_size=batch_size, verbose=0)
        p = inv(p)
        per_tf[name] = p
        accum += p
    return (accum / len(transforms)).astype("float32"), per_tf


def iou(pred, gt, thr=THRESH):
    pb = pred > thr
    gb = gt > 0.5
    inter = np.logical_and(pb, gb).sum()
    union = np.logical_or(pb, gb).sum()
    return inter / union if union else 1.0


mean_pred, per_transform = predict_tta(model, x_test)
for name, p in per_transform.items():
    print(f"{name:>8s}: IoU {iou(p, y_test):.4f}")
print(f"{'TTA-mean':>8s}: IoU {iou(mean_pred, y_test):.4f}")

# pixel-wise disagreement between augmentations as a cheap uncertainty map
stack = np.stack(list(per_transform.values()), axis=0)
uncertainty = stack.std(axis=0)
print("mean TTA std:", float(uncertainty.mean()), "max:", float(uncertainty.max()))
