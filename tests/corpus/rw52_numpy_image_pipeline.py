"""image_dataset_from_directory-like pipeline built purely from numpy.

For a blog post on tf.data input pipelines: we fake a folder of class
sub-directories (flowers-style) as a dict of numpy arrays with different
image sizes, then build the same (images, labels) dataset that
keras.utils.image_dataset_from_directory would: resize, batch, split,
cache/shuffle/prefetch, normalise with a Rescaling layer, train a small CNN.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class PipelineConfig:
    class_names: list = field(default_factory=lambda: ["daisy", "dandelion", "roses", "sunflowers", "tulips"])
    images_per_class: int = 40
    img_height: int = 64
    img_width: int = 64
    batch_size: int = 16
    validation_split: float = 0.2
    seed: int = 123
    epochs: int = 1


def fake_directory(cfg: PipelineConfig):
    """Returns {class_name: [HxWx3 uint8 arrays of varying size]}."""
    rng = np.random.default_rng(cfg.seed)
    folders = {}
    for name in cfg.class_names:
        imgs = []
        for _ in range(cfg.images_per_class):
            h, w = rng.integers(48, 120, size=2)
            imgs.append(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
        folders[name] = imgs
    return folders


def to_fixed_size(img, cfg):
    # image_dataset_from_directory uses bilinear resize to (img_height, img_width)
    return tf.image.resize(img, (cfg.img_height, cfg.img_width), method="bilinear").numpy()


def dataset_from_folders(folders, cfg: PipelineConfig, subset: str):
    paths, labels = [], []
    for label, name in enumerate(cfg.class_names):
        for img in folders[name]:
            paths.append(to_fixed_size(img, cfg))
            labels.append(label)
    images = np.stack(paths).astype("float32")
    labels = np.asarray(labels, dtype="int32")

    # same shuffled split for both subsets (seed matters!)
    idx = np.random.default_rng(cfg.seed).permutation(len(images))
    n_val = int(len(images) * cfg.validation_split)
    sel = idx[:-n_val] if subset == "training" else idx[-n_val:]
    print(f"Found {len(images)} files belonging to {len(cfg.class_names)} classes.")
    print(f"Using {len(sel)} files for {subset}.")

    ds = tf.data.Dataset.from_tensor_slices((images[sel], labels[sel]))
    ds = ds.batch(cfg.batch_size)
    return ds


cfg = PipelineConfig()
folders = fake_directory(cfg)
train_ds = dataset_from_folders(folders, cfg, "training")
val_ds = dataset_from_folders(folders, cfg, "validation")
class_names = cfg.class_names
print("class_names:", class_names)

for image_batch, labels_batch in train_ds.take(1):
    print("image batch:", image_batch.shape)
    print("labels batch:", labels_batch.shape)

# Standardise with a Rescaling layer applied via Dataset.map
normalization_layer = layers.Rescaling(1.0 / 255)
normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
image_batch, labels_batch = next(iter(normalized_ds))
first_image = image_batch[0]
print("pixel range after rescale:", float(np.min(first_image)), float(np.max(first_image)))


def augment(image, label):
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_brightness(image, max_delta=0.1 * 255)
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image, label


AUTOTUNE = tf.data.AUTOTUNE
train_ds = (
    train_ds.unbatch()
    .map(augment, num_parallel_calls=AUTOTUNE)
    .batch(cfg.batch_size)
    .cache()
    .shuffle(100)
    .prefetch(buffer_size=AUTOTUNE)
)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)

num_classes = len(class_names)
model = keras.Sequential(
    [
        keras.Input(shape=(cfg.img_height, cfg.img_width, 3)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ]
)
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.summary()

history = model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)

# Predict on a "new" image, like the sunflower example in the tutorial
new_img = folders["sunflowers"][0]
img_array = tf.image.resize(new_img, (cfg.img_height, cfg.img_width))
img_array = tf.expand_dims(img_array, 0)  # Create a batch
predictions = model.predict(img_array, verbose=0)
score = tf.nn.softmax(predictions[0])
print(
    "This image most likely belongs to {} with a {:.2f} percent confidence.".format(
        class_names[np.argmax(score)], 100 * np.max(score)
    )
)

# Whole validation set
all_logits = model.predict(val_ds, verbose=0)
y_true = np.concatenate([y.numpy() for _, y in val_ds], axis=0)
y_pred = all_logits.argmax(axis=-1)
print("val accuracy (manual):", (y_pred == y_true).mean())
