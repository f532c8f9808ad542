"""HybridSN-style hyperspectral pixel classification (Indian Pines-like).

Pipeline: PCA to reduce the ~200 spectral bands, extract a small spatial
window around each labelled pixel, then a 3-D conv stack over
(height, width, spectral) followed by 2-D convs and a dense classifier.
The hyperspectral cube here is random, shaped like the real thing.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

H, W, BANDS = 48, 48, 200
N_PCA = 15
WINDOW = 11          # spatial neighbourhood per sample
N_CLASSES = 16
TEST_RATIO = 0.3
BATCH_SIZE = 32


def apply_pca(cube, n_components):
    """Plain numpy PCA over the spectral axis."""
    flat = cube.reshape(-1, cube.shape[-1])
    flat = flat - flat.mean(axis=0, keepdims=True)
    cov = flat.T @ flat / (flat.shape[0] - 1)
    eigvals, eigvecs = np.linalg.eigh(cov)
    order = np.argsort(eigvals)[::-1][:n_components]
    reduced = flat @ eigvecs[:, order]
    explained = eigvals[order].sum() / eigvals.sum()
    return reduced.reshape(cube.shape[0], cube.shape[1], n_components), explained


def create_image_cubes(cube, gt, window, remove_zero_labels=True):
    margin = window // 2
    padded = np.pad(cube, ((margin, margin), (margin, margin), (0, 0)), mode="constant")
    patches, labels = [], []
    for r in range(gt.shape[0]):
        for c in range(gt.shape[1]):
            if remove_zero_labels and gt[r, c] == 0:
                continue
            patches.append(padded[r:r + window, c:c + window])
            labels.append(gt[r, c])
    patches = np.asarray(patches, dtype="float32")
    labels = np.asarray(labels) - (1 if remove_zero_labels else 0)
    return patches, labels


def split(x, y, ratio, seed=345):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(x))
    n_test = int(len(x) * ratio)
    return x[idx[n_test:]], x[idx[:n_test]], y[idx[n_test:]], y[idx[:n_test]]


def hybrid_sn(window=WINDOW, n_pca=N_PCA, n_classes=N_CLASSES):
    model = keras.Sequential(name="HybridSN")
    model.add(keras.Input(shape=(window, window, n_pca, 1)))
    model.add(layers.Conv3D(8, (3, 3, 7), activation="relu"))
    model.add(layers.Conv3D(16, (3, 3, 5), activation="relu"))
    model.add(layers.Conv3D(32, (3, 3, 3), activation="relu"))
    # fold the remaining spectral depth into channels for the 2-D stage
    s = model.output_shape
    model.add(layers.Reshape((s[1], s[2], s[3] * s[4])))
    model.add(layers.Conv2D(64, 3, activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.4))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dropout(0.4))
    model.add(layers.Dense(n_classes, activation="softmax"))
    return model


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    # fake reflectance cube with a few smooth spectral signatures
    signatures = np.cumsum(rng.normal(0, 1, (N_CLASSES, BANDS)), axis=1)
    gt = rng.integers(0, N_CLASSES + 1, size=(H, W))
    gt[rng.random((H, W)) < 0.6] = 0  # most pixels unlabelled, like real scenes
    cube = np.where(gt[..., None] > 0, signatures[np.maximum(gt - 1, 0)], 0.0)
    cube = cube + rng.normal(0, 0.5, cube.shape)

    reduced, explained = apply_pca(cube, N_PCA)
    print(f"PCA: {cube.shape} -> {reduced.shape}, explained var {explained:.2%}")

    X, y = create_image_cubes(reduced, gt, WINDOW)
    X = X[..., np.newaxis]
    Xtr, Xte, ytr, yte = split(X, y, TEST_RATIO)
    print("train", Xtr.shape, "test", Xte.shape)
    # keep it to a couple of hundred samples so it stays fast on CPU
    Xtr, ytr = Xtr[:256], ytr[:256]
    Xte, yte = Xte[:128], yte[:128]

    ytr_oh = keras.utils.to_categorical(ytr, N_CLASSES)
    yte_oh = keras.utils.to_categorical(yte, N_CLASSES)

    model = hybrid_sn()
    model.summary()
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, weight_decay=1e-6),
        metrics=["accuracy"],
    )
    model.fit(Xtr, ytr_oh, batch_size=BATCH_SIZE, epochs=1, verbose=2,
              validation_data=(Xte, yte_oh))

    y_pred = np.argmax(model.predict(Xte, verbose=0), axis=1)
    cm = tf.math.confusion_matrix(yte, y_pred, num_classes=N_CLASSES).numpy()
    per_class = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    oa = np.trace(cm) / cm.sum()
    pe = (cm.sum(0) * cm.sum(1)).sum() / cm.sum() ** 2
    kappa = (oa - pe) / (1 - pe)
    print(f"OA={oa:.3f} AA={per_class.mean():.3f} kappa={kappa:.3f}")
