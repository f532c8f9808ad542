#!/usr/bin/env python
# Lesion-classification style baseline: image + patient metadata (sex, site,
# age), 3-fold CV, augmentation written with tf.cond/tf.where inside map,
# flip TTA at inference, fold predictions blended with numpy.

import tempfile
import os
import csv
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

OUT_DIR = os.path.join(tempfile.gettempdir(), "rw136_img_meta_logs")
IMG = 28
N_IMAGES = 270
N_TEST = 60
N_SITES = 6
FOLDS = 3
EPOCHS = 2
BATCH = 30
AUTOTUNE = tf.data.AUTOTUNE

PARAMS = {
    "filters": [16, 32, 48],
    "meta_units": 16,
    "head_units": 64,
    "lr": 1e-3,
    "aug_prob": 0.5,
}

os.makedirs(OUT_DIR, exist_ok=True)
keras.utils.set_random_seed(99)
rng = np.random.default_rng(99)


def fake_lesions(n):
    yy, xx = np.mgrid[:IMG, :IMG]
    imgs = np.empty((n, IMG, IMG, 3), np.float32)
    target = rng.integers(0, 2, n)
    for i in range(n):
        cy, cx = rng.uniform(8, IMG - 8, 2)
        radius = rng.uniform(3, 6) + 2.5 * target[i]
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2) < radius ** 2
        base = rng.uniform(0.55, 0.8, size=3)
        imgs[i] = base + rng.normal(0, 0.04, (IMG, IMG, 3))
        imgs[i][mask] *= 0.45 if target[i] else 0.7
    meta = {
        "sex": rng.integers(0, 2, n).astype(np.int32),
        "site": rng.integers(0, N_SITES, n).astype(np.int32),
        "age": np.clip(rng.normal(50 + 8 * target, 14, n), 5, 90).astype(np.float32),
    }
    return np.clip(imgs, 0, 1), meta, target.astype(np.float32)


def augment(image, meta, label):
    p = PARAMS["aug_prob"]
    image = tf.cond(tf.random.uniform(()) < p,
                    lambda: tf.image.flip_left_right(image), lambda: image)
    image = tf.cond(tf.random.uniform(()) < p,
                    lambda: tf.image.flip_up_down(image), lambda: image)
    k = tf.random.uniform((), 0, 4, dtype=tf.int32)
    image = tf.image.rot90(image, k)
    image = tf.image.random_saturation(image, 0.8, 1.2)
    # jitter age a little; missing-value simulation: sometimes zero out age -> flag
    drop_age = tf.random.uniform(()) < 0.05
    age = tf.where(drop_age, tf.constant(-1.0), meta["age"] + tf.random.normal((), stddev=1.0))
    meta = {**meta, "age": age}
    return image, meta, label


def pack(image, meta, label):
    return {"image": image, **meta}, label


def build_ds(images, meta, labels, train):
    ds = tf.data.Dataset.from_tensor_slices((images, meta, labels))
    if train:
        ds = ds.shuffle(len(labels)).map(augment, num_parallel_calls=AUTOTUNE)
    ds = ds.map(pack, num_parallel_calls=AUTOTUNE).batch(BATCH)
    return ds.prefetch(AUTOTUNE)


def tta_datasets(images, meta):
    dummy = np.zeros(len(images), np.float32)
    views = {
        "orig": images,
        "hflip": images[:, :, ::-1, :],
        "vflip": images[:, ::-1, :, :],
        "rot180": images[:, ::-1, ::-1, :],
    }
    return {k: build_ds(np.ascontiguousarray(v), meta, dummy, train=False) for k, v in views.items()}


def build_net(age_train):
    img_in = keras.Input((IMG, IMG, 3), name="image")
    sex_in = keras.Input((), dtype="int32", name="sex")
    site_in = keras.Input((), dtype="int32", name="site")
    age_in = keras.Input((), name="age")

    x = layers.Rescaling(2.0, offset=-1.0)(img_in)
    for f in PARAMS["filters"]:
        x = layers.SeparableConv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPool2D()(x)
    x = layers.GlobalAveragePooling2D()(x)

    age_col = layers.Reshape((1,))(age_in)
    age_missing = layers.Lambda(lambda a: tf.cast(a < 0, "float32"), name="age_missing")(age_col)
    age_norm = layers.Normalization(name="age_norm")
    age_norm.adapt(age_train.reshape(-1, 1))
    age_feat = age_norm(age_col)
    sex_emb = layers.Flatten()(layers.Embedding(2, 2, name="sex_emb")(sex_in[:, None]))
    site_emb = layers.Flatten()(layers.Embedding(N_SITES, 3, name="site_emb")(site_in[:, None]))
    m = layers.Concatenate(name="meta_concat")([age_feat, age_missing, sex_emb, site_emb])
    m = layers.Dense(PARAMS["meta_units"], activation="relu")(m)

    h = layers.Concatenate()([x, m])
    h = layers.Dense(PARAMS["head_units"], activation="relu")(h)
    h = layers.Dropout(0.3)(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    return keras.Model([img_in, sex_in, site_in, age_in], out)


def compile_net(net, steps_per_epoch):
    lr = keras.optimizers.schedules.CosineDecayRestarts(
        PARAMS["lr"], first_decay_steps=steps_per_epoch, t_mul=1.0, m_mul=0.8)
    net.compile(keras.optimizers.Adam(lr), loss="binary_crossentropy",
                metrics=[keras.metrics.AUC(name="auc"), "accuracy"])


def main():
    images, meta, y = fake_lesions(N_IMAGES + N_TEST)
    sl = lambda d, ix: {k: v[ix] for k, v in d.items()}
    tr_all, te_all = np.arange(N_IMAGES), np.arange(N_IMAGES, N_IMAGES + N_TEST)
    X_img, X_meta, Y = images[tr_all], sl(meta, tr_all), y[tr_all]
    T_img, T_meta, T_y = images[te_all], sl(meta, te_all), y[te_all]

    folds = np.arange(N_IMAGES) % FOLDS
    rng.shuffle(folds)

    test_views = tta_datasets(T_img, T_meta)
    fold_test_preds = []
    oof = np.zeros(N_IMAGES, np.float32)

    for fold in range(FOLDS):
        tr, va = folds != fold, folds == fold
        keras.backend.clear_session()
        net = build_net(X_meta["age"][tr])
        steps = int(np.ceil(tr.sum() / BATCH))
        compile_net(net, steps)
        log_path = os.path.join(OUT_DIR, f"fold{fold}.csv")
        net.fit(
            build_ds(X_img[tr], sl(X_meta, tr), Y[tr], train=True),
            validation_data=build_ds(X_img[va], sl(X_meta, va), Y[va], train=False),
            epochs=EPOCHS,
            callbacks=[keras.callbacks.CSVLogger(log_path),
                       keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=3)],
            verbose=0,
        )
        oof[va] = net.predict(build_ds(X_img[va], sl(X_meta, va), Y[va], train=False), verbose=0)[:, 0]
        view_preds = np.stack([net.predict(ds, verbose=0)[:, 0] for ds in test_views.values()])
        fold_test_preds.append(view_preds.mean(axis=0))
        with open(log_path) as fh:
            last = list(csv.DictReader(fh))[-1]
        print(f"fold {fold}: last epoch val_auc={float(last['val_auc']):.4f} "
              f"oof acc={np.mean((oof[va] > 0.5) == Y[va]):.3f} "
              f"tta spread={view_preds.std(axis=0).mean():.4f}")

    preds = np.stack(fold_test_preds)  # (folds, n_test)
    eps = 1e-6
    arith = preds.mean(0)
    geo = 1.0 / (1.0 + np.exp(-np.mean(np.log(preds + eps) - np.log(1 - preds + eps), axis=0)))
    print(f"OOF accuracy: {np.mean((oof > 0.5) == Y):.3f}")
    for name, p in [("arith-mean", arith), ("logit-mean", geo)]:
        print(f"test acc ({name}): {np.mean((p > 0.5) == T_y):.3f}")
    np.save(os.path.join(OUT_DIR, "test_preds.npy"), preds)
    print("saved", sorted(os.listdir(OUT_DIR)))


if __name__ == "__main__":
    main()
