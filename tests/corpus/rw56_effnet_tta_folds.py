"""
Leaf-disease style image competition: EfficientNetB0 backbone + TTA.

Kaggle-notebook layout: a CFG dict at the top, tf.data pipelines with random
augmentation, a fresh EfficientNetB0 (weights=None because the kernel has no
internet) built per fold, and test-time augmentation (flips + transpose)
averaged over the TTA views and then over the folds.

Images are random tensors so the whole thing runs on CPU in a few seconds.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "seed": 2021,
    "img_size": 48,
    "n_classes": 5,
    "n_train": 64,
    "n_test": 16,
    "folds": 2,
    "batch_size": 16,
    "epochs": 1,
    "lr": 1e-3,
    "label_smoothing": 0.05,
    "tta_steps": 4,
    "drop_rate": 0.3,
}

keras.utils.set_random_seed(CFG["seed"])
AUTO = tf.data.AUTOTUNE


# --------------------------------------------------------------------------- data
def fake_images(n, size, n_classes=None):
    imgs = np.random.randint(0, 256, size=(n, size, size, 3)).astype("uint8")
    if n_classes is None:
        return imgs
    labels = np.random.randint(0, n_classes, size=n)
    return imgs, labels


def decode(image, label=None):
    image = tf.cast(image, tf.float32)  # EfficientNet in keras rescales internally
    image = tf.image.resize(image, [CFG["img_size"], CFG["img_size"]])
    if label is None:
        return image
    return image, tf.one_hot(label, CFG["n_classes"])


def augment(image, label):
    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_flip_up_down(image)
    image = tf.image.random_brightness(image, max_delta=0.1 * 255.0)
    image = tf.image.random_contrast(image, 0.9, 1.1)
    # random 90-degree rotation without python control flow
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    image = tf.image.rot90(image, k)
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image, label


def get_dataset(images, labels=None, augment_data=False, shuffle=False, repeat=False):
    if labels is None:
        ds = tf.data.Dataset.from_tensor_slices(images).map(decode, num_parallel_calls=AUTO)
    else:
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).map(decode, num_parallel_calls=AUTO)
    if augment_data:
        ds = ds.map(augment, num_parallel_calls=AUTO)
    if repeat:
        ds = ds.repeat()
    if shuffle:
        ds = ds.shuffle(256, seed=CFG["seed"])
    return ds.batch(CFG["batch_size"]).prefetch(AUTO)


# --------------------------------------------------------------------------- TTA
def tta_views(image_batch):
    """Deterministic TTA views; returns list of tensors of the same shape."""
    views = [
        image_batch,
        tf.image.flip_left_right(image_batch),
        tf.image.flip_up_down(image_batch),
        tf.transpose(image_batch, perm=[0, 2, 1, 3]),
    ]
    return views[: CFG["tta_steps"]]


def predict_with_tta(model, images):
    ds = get_dataset(images)
    preds = []
    for batch in ds:
        views = tta_views(batch)
        stacked = tf.concat(views, axis=0)  # (tta*B, H, W, 3) -> one forward pass
        p = model(stacked, training=False)
        p = tf.reshape(p, (len(views), -1, CFG["n_classes"]))
        preds.append(tf.reduce_mean(p, axis=0).numpy())
    return np.concatenate(preds, axis=0)


# --------------------------------------------------------------------------- model
def build_model():
    inp = layers.Input(shape=(CFG["img_size"], CFG["img_size"], 3), name="image")
    base = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_tensor=inp, pooling="avg",
    )
    x = layers.Dropout(CFG["drop_rate"])(base.output)
    x = layers.Dense(CFG["n_classes"], activation="softmax", dtype="float32", name="head")(x)
    model = keras.Model(inp, x, name="effnetb0_leaf")

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-5),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=CFG["label_smoothing"]),
        metrics=["categorical_accuracy"],
        # tracing the EffNet train_step on the 2-core CPU kernel takes longer than the
        # handful of steps we actually run, so stay eager for this smoke run
        run_eagerly=True,
    )
    return model


def stratified_folds(labels, n_folds, seed):
    """Assign each sample a fold id while keeping class ratios (like StratifiedKFold)."""
    rng = np.random.RandomState(seed)
    fold_ids = np.zeros(len(labels), dtype=int)
    for c in np.unique(labels):
        idx = np.where(labels == c)[0]
        rng.shuffle(idx)
        fold_ids[idx] = np.arange(len(idx)) % n_folds
    return fold_ids


# --------------------------------------------------------------------------- main
train_imgs, train_labels = fake_images(CFG["n_train"], 80, CFG["n_classes"])
test_imgs = fake_images(CFG["n_test"], 80)
fold_ids = stratified_folds(train_labels, CFG["folds"], CFG["seed"])

oof = np.zeros((CFG["n_train"], CFG["n_classes"]), dtype="float32")
sub = np.zeros((CFG["n_test"], CFG["n_classes"]), dtype="float32")

for fold in range(CFG["folds"]):
    trn = np.where(fold_ids != fold)[0]
    val = np.where(fold_ids == fold)[0]
    print(f"### fold {fold}: {len(trn)} train / {len(val)} valid")

    keras.backend.clear_session()
    model = build_model()
    if fold == 0:
        print(model.name, "params:", model.count_params(), "output:", model.output_shape)

    steps = min(2, max(1, len(trn) // CFG["batch_size"]))
    model.fit(
        get_dataset(train_imgs[trn], train_labels[trn], augment_data=True, shuffle=True, repeat=True),
        steps_per_epoch=steps,
        epochs=CFG["epochs"],
        verbose=2,
    )

    oof[val] = predict_with_tta(model, train_imgs[val])
    sub += predict_with_tta(model, test_imgs) / CFG["folds"]

    acc = (oof[val].argmax(1) == train_labels[val]).mean()
    print(f"fold {fold} TTA acc: {acc:.3f}")

print("OOF accuracy:", (oof.argmax(1) == train_labels).mean())
print("submission probs shape:", sub.shape, "rows sum to", sub.sum(1)[:3].round(3))
