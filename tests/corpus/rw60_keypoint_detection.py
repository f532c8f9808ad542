"""Keypoint detection with transfer-learning-style backbone (StanfordExtra dogs style).

Mirrors the keras.io "keypoint_detection" example: a keras.utils.PyDataset
yields (image, keypoints) batches, keypoints are normalised to [0, 1], and the
head is a couple of SeparableConv2D layers that regress a (1, 1, NUM_KEYPOINTS)
map. The backbone is MobileNetV2 with weights=None because we run offline on
synthetic data (the original used ImageNet weights and frozen backbone).
"""
from dataclasses import dataclass, field

import numpy as np
import keras
from keras import layers, ops


@dataclass
class Config:
    image_size: int = 96
    batch_size: int = 8
    num_samples: int = 32
    epochs: int = 1
    num_keypoints: int = 24 * 2  # 24 pairs each having x and y coordinates
    learning_rate: float = 1e-4
    alpha: float = 0.35
    keypoint_names: list = field(
        default_factory=lambda: [f"kp_{i:02d}" for i in range(24)]
    )


CFG = Config()


def make_fake_annotations(cfg, seed=42):
    """Each sample has an image (varying size, like the JSON-backed original)
    and 24 (x, y, visibility) keypoints in *pixel* coordinates."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(cfg.num_samples):
        h, w = rng.integers(100, 160, size=2)
        img = rng.integers(0, 255, size=(h, w, 3), dtype=np.uint8)
        kps = np.stack(
            [
                rng.uniform(0, w, size=24),
                rng.uniform(0, h, size=24),
                rng.integers(0, 2, size=24),
            ],
            axis=-1,
        ).astype("float32")
        samples.append({"img_path": f"Images/dog_{i:04d}.jpg", "img": img, "joints": kps})
    return samples


def resize_with_keypoints(image, keypoints, target):
    """Resize an image to (target, target) and rescale keypoints accordingly."""
    h, w = image.shape[:2]
    resized = ops.image.resize(image.astype("float32"), (target, target))
    scale = np.array([target / w, target / h], dtype="float32")
    kp = keypoints[:, :2] * scale
    return ops.convert_to_numpy(resized), kp


class KeyPointsDataset(keras.utils.PyDataset):
    def __init__(self, samples, cfg, aug=False, train=True, **kwargs):
        super().__init__(**kwargs)
        self.samples = samples
        self.cfg = cfg
        self.aug = aug
        self.train = train
        self.on_epoch_end()

    def __len__(self):
        return len(self.samples) // self.cfg.batch_size

    def on_epoch_end(self):
        self.indexes = np.arange(len(self.samples))
        if self.train:
            np.random.shuffle(self.indexes)

    def __getitem__(self, index):
        idx = self.indexes[index * self.cfg.batch_size : (index + 1) * self.cfg.batch_size]
        batch = [self.samples[k] for k in idx]
        images, keypoints = self.__data_generation(batch)
        return images, keypoints

    def _augment(self, image, kps):
        # Horizontal flip: mirror the x coordinate. A real pipeline would also
        # swap left/right keypoint ids.
        if np.random.rand() < 0.5:
            image = image[:, ::-1, :]
            kps = kps.copy()
            kps[:, 0] = self.cfg.image_size - kps[:, 0]
        return image, kps

    def __data_generation(self, batch):
        size = self.cfg.image_size
        batch_images = np.empty((len(batch), size, size, 3), dtype="float32")
        batch_keypoints = np.empty((len(batch), 1, 1, self.cfg.num_keypoints), dtype="float32")

        for i, data in enumerate(batch):
            img, kps = resize_with_keypoints(data["img"], data["joints"], size)
            if self.aug:
                img, kps = self._augment(img, kps)
            batch_images[i] = img
            # Flatten (24, 2) -> (48,) then reshape to the model's (1, 1, 48) output.
            kp_flat = kps.reshape(-1)
            batch_keypoints[i] = kp_flat.reshape(1, 1, self.cfg.num_keypoints)

        # Scale the coordinates to [0, 1] range.
        batch_keypoints = batch_keypoints / size
        return batch_images, batch_keypoints


def get_model(cfg):
    backbone = keras.applications.MobileNetV2(
        weights=None,
        include_top=False,
        input_shape=(cfg.image_size, cfg.image_size, 3),
        alpha=cfg.alpha,
    )
    backbone.trainable = False

    inputs = layers.Input((cfg.image_size, cfg.image_size, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = backbone(x)
    x = layers.Dropout(0.3)(x)
    # backbone output is (3, 3, C) for a 96x96 input -> two valid 2x2 convs -> (1, 1, K)
    x = layers.SeparableConv2D(cfg.num_keypoints, kernel_size=2, activation="relu")(x)
    outputs = layers.SeparableConv2D(
        cfg.num_keypoints, kernel_size=2, activation="sigmoid"
    )(x)

    return keras.Model(inputs, outputs, name="keypoint_detector")


def predictions_to_keypoints(preds, cfg):
    """(B, 1, 1, 48) in [0, 1] -> (B, 24, 2) pixel coordinates."""
    preds = ops.reshape(preds, (-1, cfg.num_keypoints // 2, 2))
    return preds * cfg.image_size


if __name__ == "__main__":
    keras.utils.set_random_seed(42)
    samples = make_fake_annotations(CFG)
    split = int(0.75 * len(samples))
    train_keys, validation_keys = samples[:split], samples[split:]

    train_dataset = KeyPointsDataset(train_keys, CFG, aug=True)
    validation_dataset = KeyPointsDataset(validation_keys, CFG, train=False)

    print(f"Total batches in training set: {len(train_dataset)}")
    print(f"Total batches in validation set: {len(validation_dataset)}")

    sample_images, sample_keypoints = next(iter(train_dataset))
    assert sample_keypoints.max() <= 1.0
    assert sample_keypoints.min() >= 0.0
    print("sample batch:", sample_images.shape, sample_keypoints.shape)

    model = get_model(CFG)
    print("trainable weights:", len(model.trainable_weights))
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(CFG.learning_rate))
    model.fit(train_dataset, validation_data=validation_dataset, epochs=CFG.epochs, verbose=2)

    preds = model.predict(sample_images[:2], verbose=0)
    coords = ops.convert_to_numpy(predictions_to_keypoints(preds, CFG))
    print("predicted keypoints:", coords.shape)
    for name, (x, y) in list(zip(CFG.keypoint_names, coords[0]))[:3]:
        print(f"  {name}: ({x:.1f}, {y:.1f})")
