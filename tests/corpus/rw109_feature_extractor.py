"""Pull intermediate activations out of a trained classifier.

- train a small CNN on synthetic shapes (horizontal / vertical / diagonal bars)
- build a multi-output feature extractor from named intermediate layers
- use pooled features for a cosine nearest-neighbour lookup in numpy
- train a new linear probe on top of a frozen intermediate layer
"""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

H = W = 28
CLASSES = ["horizontal", "vertical", "diagonal"]
TAP_LAYERS = ["stage1_act", "stage2_act", "embedding"]

keras.utils.set_random_seed(5)


def draw_bar(kind, rng):
    img = rng.normal(0, 0.1, size=(H, W)).astype(np.float32)
    pos = rng.integers(6, 22)
    width = rng.integers(2, 4)
    if kind == 0:
        img[pos : pos + width, :] += 1.0
    elif kind == 1:
        img[:, pos : pos + width] += 1.0
    else:
        idx = np.arange(H)
        for off in range(width):
            img[idx, np.clip(idx + off + pos - 14, 0, W - 1)] += 1.0
    return img


def make_dataset(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), size=n)
    images = np.stack([draw_bar(k, rng) for k in labels])[..., None]
    return images, labels


def build_classifier():
    inputs = keras.Input((H, W, 1))
    x = inputs
    for stage, filters in enumerate([8, 16], start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"stage{stage}_conv")(x)
        x = layers.Activation("relu", name=f"stage{stage}_act")(x)
        x = layers.MaxPooling2D(name=f"stage{stage}_pool")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu", name="embedding")(x)
    outputs = layers.Dense(len(CLASSES), activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="bar_classifier")


x_train, y_train = make_dataset(360, seed=1)
x_test, y_test = make_dataset(90, seed=2)

clf = build_classifier()
clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
clf.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.1, verbose=2)

# --- multi-output extractor ------------------------------------------------
extractor = keras.Model(
    inputs=clf.inputs,
    outputs={name: clf.get_layer(name).output for name in TAP_LAYERS},
    name="tap_extractor",
)
feats = extractor.predict(x_test[:8], verbose=0)
for name, arr in feats.items():
    print(f"{name:>12s}: shape={arr.shape}  mean={arr.mean():.4f}  frac_zero={np.mean(arr == 0):.2f}")

# sanity check: extractor shares weights with clf, so embedding must match a
# manual forward pass through the same layers
manual = x_test[:8]
for lname in ["stage1_conv", "stage1_act", "stage1_pool", "stage2_conv", "stage2_act", "stage2_pool"]:
    manual = clf.get_layer(lname)(manual)
manual = clf.get_layer("embedding")(layers.Flatten()(manual))
np.testing.assert_allclose(np.asarray(manual), feats["embedding"], rtol=1e-4, atol=1e-5)
print("manual forward pass matches extractor output")


# --- cosine nearest neighbour retrieval on the embedding ---------------------
def l2_normalize(a, eps=1e-8):
    return a / (np.linalg.norm(a, axis=1, keepdims=True) + eps)


embed_model = keras.Model(clf.input, clf.get_layer("embedding").output)
bank = l2_normalize(embed_model.predict(x_train, batch_size=64, verbose=0))
queries = l2_normalize(embed_model.predict(x_test, batch_size=64, verbose=0))
sims = queries @ bank.T
top5 = np.argsort(-sims, axis=1)[:, :5]
knn_pred = np.array([np.bincount(y_train[row], minlength=len(CLASSES)).argmax() for row in top5])
print(f"5-NN accuracy on embedding: {np.mean(knn_pred == y_test):.3f}")

# --- linear probe on a frozen earlier layer ----------------------------------
probe_source = clf.get_layer("stage2_pool").output
frozen_trunk = keras.Model(clf.input, probe_source, name="trunk_to_stage2")
frozen_trunk.trainable = False

probe_in = keras.Input((H, W, 1))
z = frozen_trunk(probe_in, training=False)
z = layers.GlobalAveragePooling2D()(z)
probe_out = layers.Dense(len(CLASSES), activation="softmax", name="probe")(z)
probe = keras.Model(probe_in, probe_out, name="linear_probe")
probe.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

kernel_before = clf.get_layer("stage2_conv").kernel.numpy().copy()
probe.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0)
assert np.array_equal(kernel_before, clf.get_layer("stage2_conv").kernel.numpy()), "trunk should be frozen"
print(f"probe trainable weights: {[w.path for w in probe.trainable_weights]}")
print(f"linear probe (stage2_pool + GAP) test acc: {probe.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
print(f"full classifier test acc: {clf.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
