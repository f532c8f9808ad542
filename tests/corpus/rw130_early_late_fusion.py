# Early vs intermediate vs late fusion for tabular + image inputs
# ----------------------------------------------------------------
# Toy "skin lesion" style problem: a 28x28 RGB patch plus 6 tabular columns
# (age, size, a couple of flags...). The binary target depends on both the
# lesion's irregularity in the image and on the tabular columns.
import json
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N = 400
H = W = 28
TAB_COLS = ["age", "diameter_mm", "itch", "bleeding", "family_hist", "uv_index"]
N_TAB = len(TAB_COLS)
BATCH = 32
EPOCHS = 2
SEED = 11

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_lesion(irregular):
    yy, xx = np.mgrid[:H, :W]
    cy, cx = np.random.uniform(10, 18, 2)
    r = np.random.uniform(5, 8)
    theta = np.arctan2(yy - cy, xx - cx)
    wobble = (0.35 * np.sin(5 * theta + np.random.rand() * 6)) if irregular else 0.05 * np.sin(theta)
    mask = np.hypot(yy - cy, xx - cx) < r * (1 + wobble)
    img = np.ones((H, W, 3), np.float32) * np.array([0.85, 0.7, 0.6], np.float32)  # skin tone
    img[mask] = np.array([0.35, 0.2, 0.15]) + np.random.normal(0, 0.05, 3)
    return np.clip(img + np.random.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)


irregular = np.random.rand(N) < 0.5
tab = np.column_stack([
    np.random.normal(50, 15, N),           # age
    np.random.gamma(2.0, 2.5, N),          # diameter
    np.random.binomial(1, 0.3, N),         # itch
    np.random.binomial(1, 0.15, N),        # bleeding
    np.random.binomial(1, 0.2, N),         # family history
    np.random.uniform(1, 11, N),           # uv index
]).astype(np.float32)
logit = (2.2 * irregular - 1.1 + 0.04 * (tab[:, 0] - 50) + 0.25 * (tab[:, 1] - 5)
         + 1.0 * tab[:, 3] + 0.8 * tab[:, 4])
y = (np.random.rand(N) < 1 / (1 + np.exp(-logit))).astype(np.float32)
imgs = np.stack([make_lesion(i) for i in irregular])
print(f"positives: {y.mean():.2%}; tabular means:",
      {c: round(float(m), 2) for c, m in zip(TAB_COLS, tab.mean(0))})

order = np.random.permutation(N)
train_idx, test_idx = order[:320], order[320:]

tab_norm = layers.Normalization(name="tab_norm")
tab_norm.adapt(tab[train_idx])


def ds_from(idx, shuffle=False):
    d = tf.data.Dataset.from_tensor_slices(({"image": imgs[idx], "tabular": tab[idx]}, y[idx]))
    if shuffle:
        d = d.shuffle(len(idx), seed=SEED)
    return d.batch(BATCH).prefetch(tf.data.AUTOTUNE)


train_ds, test_ds = ds_from(train_idx, True), ds_from(test_idx)


def inputs():
    return (keras.Input((H, W, 3), name="image"), keras.Input((N_TAB,), name="tabular"))


def cnn_trunk(x, prefix, widths=(16, 32)):
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, padding="same", activation="relu", name=f"{prefix}_conv{i}")(x)
        x = layers.MaxPooling2D(name=f"{prefix}_pool{i}")(x)
    return layers.GlobalAveragePooling2D(name=f"{prefix}_gap")(x)


def mlp(x, prefix, units=(32, 16), dropout=0.1):
    for i, u in enumerate(units):
        x = layers.Dense(u, activation="relu", name=f"{prefix}_fc{i}")(x)
        x = layers.Dropout(dropout)(x)
    return x


def early_fusion():
    """Tabular columns are tiled into constant image planes and stacked as extra channels."""
    img_in, tab_in = inputs()
    t = tab_norm(tab_in)
    planes = layers.Reshape((1, 1, N_TAB))(t)
    planes = layers.UpSampling2D(size=(H, W))(planes)  # (H, W, N_TAB)
    x = layers.Concatenate(axis=-1, name="channel_stack")([img_in, planes])
    x = cnn_trunk(x, "joint", widths=(24, 32))
    x = mlp(x, "head", units=(16,))
    out = layers.Dense(1, activation="sigmoid", name="prob")(x)
    return keras.Model([img_in, tab_in], out, name="early_fusion")


def intermediate_fusion():
    """Each modality is encoded separately and the embeddings are concatenated."""
    img_in, tab_in = inputs()
    i_feat = layers.Dense(16, activation="relu")(cnn_trunk(img_in, "img"))
    t_feat = mlp(tab_norm(tab_in), "tab", units=(32, 16))
    x = layers.Concatenate(name="feature_concat")([i_feat, t_feat])
    x = mlp(x, "head", units=(16,))
    out = layers.Dense(1, activation="sigmoid", name="prob")(x)
    return keras.Model([img_in, tab_in], out, name="intermediate_fusion")


def late_fusion():
    """Each modality makes its own prediction (logit); a learned weighted sum combines them."""
    img_in, tab_in = inputs()
    img_logit = layers.Dense(1, name="img_logit")(cnn_trunk(img_in, "img"))
    tab_logit = layers.Dense(1, name="tab_logit")(mlp(tab_norm(tab_in), "tab"))
    stacked = layers.Concatenate(name="logits")([img_logit, tab_logit])
    combined = layers.Dense(1, use_bias=True, name="combiner",
                            kernel_initializer=keras.initializers.Constant(0.5))(stacked)
    out = layers.Activation("sigmoid", name="prob")(combined)
    return keras.Model([img_in, tab_in], out, name="late_fusion")


def unimodal(which):
    img_in, tab_in = inputs()
    feat = cnn_trunk(img_in, "img") if which == "image" else mlp(tab_norm(tab_in), "tab")
    out = layers.Dense(1, activation="sigmoid", name="prob")(feat)
    return keras.Model([img_in, tab_in], out, name=f"{which}_only")


builders = {
    "image_only": lambda: unimodal("image"),
    "tabular_only": lambda: unimodal("tabular"),
    "early": early_fusion,
    "intermediate": intermediate_fusion,
    "late": late_fusion,
}

results = {}
for name, build in builders.items():
    keras.backend.clear_session()
    tf.random.set_seed(SEED)
    model = build()
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
    )
    t0 = time.perf_counter()
    model.fit(train_ds, epochs=EPOCHS, verbose=0)
    scores = model.evaluate(test_ds, verbose=0, return_dict=True)
    scores["params"] = model.count_params()
    scores["fit_s"] = round(time.perf_counter() - t0, 1)
    results[name] = {k: (round(float(v), 4) if isinstance(v, float) else v) for k, v in scores.items()}
    print(f"{name:>13s}: " + ", ".join(f"{k}={v}" for k, v in results[name].items()))
    if name == "late":
        w = model.get_layer("combiner").get_weights()[0].ravel()
        print(f"               late-fusion weights -> image {w[0]:.3f}, tabular {w[1]:.3f}")

best = max(results, key=lambda k: results[k]["auc"])
print("\nbest by AUC:", best)
with open(os.path.join(tempfile.gettempdir(), "rw130_fusion_results.json"), "w") as fh:
    json.dump(results, fh, indent=2)
