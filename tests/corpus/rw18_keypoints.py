"""
Keypoint regression with a lightweight backbone.

Loosely modelled on the keras.io "Keypoint Detection with Transfer Learning"
example, but fully offline: a MobileNetV2 backbone (randomly initialised,
weights=None) feeds a separable-conv head that regresses (x, y) coordinates
for a fixed number of keypoints. Training images are generated on the fly by
a `keras.utils.PyDataset` that paints a Gaussian blob at each keypoint, and
a horizontal-flip augmentation keeps image and keypoints consistent.
"""

import numpy as np
import keras
from keras import layers, ops

IMG_SIZE = 64
NUM_KEYPOINTS = 6
BATCH_SIZE = 16
STEPS_PER_EPOCH = 4
EPOCHS = 1
BLOB_SIGMA = 2.5

# Keypoint pairs that swap identity under a horizontal flip (left <-> right).
FLIP_PAIRS = [(0, 1), (2, 3)]


def render_keypoints(coords, size=IMG_SIZE, sigma=BLOB_SIGMA, rng=None):
    """Draw one coloured Gaussian blob per keypoint on a noisy background."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    image = rng.normal(0.1, 0.05, size=(size, size, 3)).astype("float32")
    for k, (x, y) in enumerate(coords):
        blob = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
        image[..., k % 3] += blob * (0.5 + 0.5 * (k // 3))
    return np.clip(image, 0.0, 1.0)


def flip_horizontal(image, coords):
    image = image[:, ::-1, :]
    coords = coords.copy()
    coords[:, 0] = IMG_SIZE - 1 - coords[:, 0]
    for a, b in FLIP_PAIRS:
        coords[[a, b]] = coords[[b, a]]
    return image, coords


class KeypointDataset(keras.utils.PyDataset):
    def __init__(self, num_batches, batch_size, augment=False, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.n_batches = num_batches
        self.batch_size = batch_size
        self.augment = augment
        self.seed = seed

    def __len__(self):
        return self.n_batches

    def __getitem__(self, idx):
        rng = np.random.default_rng(self.seed * 1000 + idx)
        images, targets = [], []
        for _ in range(self.batch_size):
            coords = rng.uniform(6, IMG_SIZE - 6, size=(NUM_KEYPOINTS, 2))
            coords = coords.astype("float32")
            image = render_keypoints(coords, rng=rng)
            if self.augment and rng.random() < 0.5:
                image, coords = flip_horizontal(image, coords)
            images.append(image * 255.0)
            # Normalise targets to [0, 1] so the head trains stably.
            targets.append(coords.reshape(1, 1, NUM_KEYPOINTS * 2) / IMG_SIZE)
        return np.stack(images), np.stack(targets).astype("float32")


def get_model(alpha=0.35):
    backbone = keras.applications.MobileNetV2(
        weights=None, include_top=False, alpha=alpha,
        input_shape=(IMG_SIZE, IMG_SIZE, 3),
    )
    backbone.trainable = True

    inputs = layers.Input((IMG_SIZE, IMG_SIZE, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = backbone(x)
    x = layers.Dropout(0.3)(x)
    spatial = x.shape[1]
    x = layers.SeparableConv2D(
        NUM_KEYPOINTS * 2, kernel_size=spatial, strides=1, activation="relu"
    )(x)
    outputs = layers.SeparableConv2D(
        NUM_KEYPOINTS * 2, kernel_size=1, strides=1, activation="sigmoid"
    )(x)
    return keras.Model(inputs, outputs, name="keypoint_detector")


def mean_pixel_error(y_true, y_pred):
    true_xy = ops.reshape(y_true, (-1, NUM_KEYPOINTS, 2)) * IMG_SIZE
    pred_xy = ops.reshape(y_pred, (-1, NUM_KEYPOINTS, 2)) * IMG_SIZE
    return ops.mean(ops.sqrt(ops.sum(ops.square(true_xy - pred_xy), axis=-1)))


def pck(pred_xy, true_xy, threshold=5.0):
    """Percentage of correct keypoints within `threshold` pixels."""
    dist = np.linalg.norm(pred_xy - true_xy, axis=-1)
    return float((dist < threshold).mean())


if __name__ == "__main__":
    train_ds = KeypointDataset(STEPS_PER_EPOCH, BATCH_SIZE, augment=True, seed=1)
    val_ds = KeypointDataset(2, BATCH_SIZE, seed=2)

    sample_x, sample_y = train_ds[0]
    print("batch:", sample_x.shape, sample_y.shape, "target range",
          sample_y.min(), sample_y.max())

    model = get_model()
    model.compile(
        loss="mse",
        optimizer=keras.optimizers.Adam(1e-3),
        metrics=[mean_pixel_error],
        jit_compile=False,
    )
    model.summary(line_length=100)
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

    test_x, test_y = val_ds[0]
    preds = model.predict(test_x, verbose=0)
    pred_xy = preds.reshape(-1, NUM_KEYPOINTS, 2) * IMG_SIZE
    true_xy = test_y.reshape(-1, NUM_KEYPOINTS, 2) * IMG_SIZE
    print(f"PCK@5px: {pck(pred_xy, true_xy):.3f}")
    for name, value in zip(["x", "y"], np.abs(pred_xy - true_xy).mean(axis=(0, 1))):
        print(f"mean |error| along {name}: {value:.2f}px")
