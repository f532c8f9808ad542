"""Stratified K-fold CV for a small image classifier, Kaggle style.

- hand-rolled stratified fold assignment (no sklearn dependency)
- MixUp applied inside the tf.data pipeline on one-hot labels
- one fresh model per fold (clear_session), best weights kept via callback
- out-of-fold (OOF) predictions + averaged fold ensemble on a hold-out test set
"""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "seed": 2024,
    "n_folds": 3,
    "img_size": 28,
    "num_classes": 4,
    "n_samples": 144,
    "n_test": 32,
    "batch_size": 24,
    "epochs": 2,
    "lr": 2e-3,
    "mixup_alpha": 0.2,
    "label_smoothing": 0.05,
}


def seed_everything(seed):
    os.environ["PYTHONHASHSEED"] = str(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    keras.utils.set_random_seed(seed)


def synthetic_images(n, cfg, seed):
    """Class k = bright stripe at row band k, so the task is learnable."""
    rng = np.random.default_rng(seed)
    s, k = cfg["img_size"], cfg["num_classes"]
    y = rng.integers(0, k, size=n)
    x = rng.normal(0.2, 0.1, size=(n, s, s, 1)).astype("float32")
    band = s // k
    for i, label in enumerate(y):
        x[i, label * band : (label + 1) * band, :, 0] += 0.6
    return np.clip(x, 0, 1), y


def stratified_folds(labels, n_folds, seed):
    rng = np.random.default_rng(seed)
    fold_ids = np.empty(len(labels), dtype=int)
    for cls in np.unique(labels):
        idx = np.where(labels == cls)[0]
        rng.shuffle(idx)
        fold_ids[idx] = np.arange(len(idx)) % n_folds
    return fold_ids


def sample_beta(shape, alpha):
    # Beta(a, a) via two Gamma draws -- tf.random has no beta sampler
    g1 = tf.random.gamma(shape, alpha)
    g2 = tf.random.gamma(shape, alpha)
    return g1 / (g1 + g2)


def mixup(batch_x, batch_y, alpha):
    batch_size = tf.shape(batch_x)[0]
    lam = sample_beta([batch_size], alpha)
    lam_x = tf.reshape(lam, [-1, 1, 1, 1])
    lam_y = tf.reshape(lam, [-1, 1])
    perm = tf.random.shuffle(tf.range(batch_size))
    mixed_x = lam_x * batch_x + (1.0 - lam_x) * tf.gather(batch_x, perm)
    mixed_y = lam_y * batch_y + (1.0 - lam_y) * tf.gather(batch_y, perm)
    return mixed_x, mixed_y


def make_ds(x, y, cfg, training):
    y_onehot = tf.one_hot(y, cfg["num_classes"])
    ds = tf.data.Dataset.from_tensor_slices((x, y_onehot))
    if training:
        ds = ds.shuffle(len(x), seed=cfg["seed"]).batch(cfg["batch_size"])
        alpha = cfg["mixup_alpha"]
        ds = ds.map(lambda a, b: mixup(a, b, alpha), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.batch(cfg["batch_size"])
    return ds.prefetch(tf.data.AUTOTUNE)


def build_model(cfg):
    aug = keras.Sequential(
        [layers.RandomTranslation(0.05, 0.05), layers.RandomContrast(0.1)], name="augment"
    )
    inp = keras.Input((cfg["img_size"], cfg["img_size"], 1))
    x = aug(inp)
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("swish")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.SeparableConv2D(64, 3, padding="same", activation="swish")(x)
    avg = layers.GlobalAveragePooling2D()(x)
    mx = layers.GlobalMaxPooling2D()(x)
    x = layers.Concatenate()([avg, mx])
    x = layers.Dropout(0.25)(x)
    out = layers.Dense(cfg["num_classes"], activation="softmax")(x)
    model = keras.Model(inp, out)
    model.compile(
        optimizer=keras.optimizers.AdamW(cfg["lr"], weight_decay=1e-4),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg["label_smoothing"]),
        metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
    )
    return model


def run_cv(cfg):
    seed_everything(cfg["seed"])
    x, y = synthetic_images(cfg["n_samples"], cfg, seed=cfg["seed"])
    x_test, y_test = synthetic_images(cfg["n_test"], cfg, seed=cfg["seed"] + 1)
    folds = stratified_folds(y, cfg["n_folds"], cfg["seed"])
    print("samples per fold:", np.bincount(folds))

    oof = np.zeros((len(x), cfg["num_classes"]), dtype="float32")
    test_preds = []
    scores = []
    ckpt_dir = tempfile.mkdtemp(prefix="kfold_")

    for fold in range(cfg["n_folds"]):
        print(f"\n===== fold {fold + 1}/{cfg['n_folds']} =====")
        tr_idx, va_idx = np.where(folds != fold)[0], np.where(folds == fold)[0]
        train_ds = make_ds(x[tr_idx], y[tr_idx], cfg, training=True)
        valid_ds = make_ds(x[va_idx], y[va_idx], cfg, training=False)

        keras.backend.clear_session()
        model = build_model(cfg)
        ckpt_path = os.path.join(ckpt_dir, f"fold{fold}.weights.h5")
        callbacks = [
            keras.callbacks.ModelCheckpoint(
                ckpt_path, monitor="val_loss", save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        ]
        model.fit(
            train_ds, validation_data=valid_ds, epochs=cfg["epochs"], callbacks=callbacks, verbose=2
        )
        model.load_weights(ckpt_path)

        oof[va_idx] = model.predict(x[va_idx], batch_size=64, verbose=0)
        fold_acc = np.mean(np.argmax(oof[va_idx], axis=1) == y[va_idx])
        scores.append(fold_acc)
        print(f"fold {fold} OOF acc: {fold_acc:.4f}")
        test_preds.append(model.predict(x_test, batch_size=64, verbose=0))

    shutil.rmtree(ckpt_dir, ignore_errors=True)
    oof_acc = np.mean(np.argmax(oof, axis=1) == y)
    ensemble = np.mean(np.stack(test_preds, axis=0), axis=0)
    test_acc = np.mean(np.argmax(ensemble, axis=1) == y_test)
    print("\nper-fold:", [round(float(s), 4) for s in scores])
    print(f"CV acc: {np.mean(scores):.4f} +/- {np.std(scores):.4f}  | overall OOF acc: {oof_acc:.4f}")
    print(f"fold-ensemble test acc: {test_acc:.4f}  (ensemble shape {ensemble.shape})")
    return oof, ensemble


if __name__ == "__main__":
    run_cv(CONFIG)
