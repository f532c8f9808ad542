"""
I have my images as a numpy array of shape (N, 28, 28) with uint8 values and my
labels as a list of strings. How do I train a CNN on this and then predict a
single image? I keep getting "expected min_ndim=4, found ndim=3".
"""
import numpy as np
import keras
from keras import layers

IMG_H, IMG_W = 28, 28
CLASS_NAMES = ["circle", "square", "cross"]
N_PER_CLASS = 100


def draw(kind, rng):
    img = np.zeros((IMG_H, IMG_W), dtype=np.uint8)
    cy, cx = rng.integers(9, 19, size=2)
    r = rng.integers(4, 8)
    yy, xx = np.mgrid[:IMG_H, :IMG_W]
    if kind == "circle":
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 255
    elif kind == "square":
        img[max(cy - r, 0):cy + r, max(cx - r, 0):cx + r] = 255
    else:
        img[cy - 1:cy + 2, max(cx - r, 0):cx + r] = 255
        img[max(cy - r, 0):cy + r, cx - 1:cx + 2] = 255
    noise = rng.integers(0, 40, size=img.shape, dtype=np.uint8)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


rng = np.random.default_rng(3)
images = np.array([draw(k, rng) for k in CLASS_NAMES for _ in range(N_PER_CLASS)])
label_strings = [k for k in CLASS_NAMES for _ in range(N_PER_CLASS)]
print("raw:", images.shape, images.dtype, len(label_strings))

# 1) strings -> integer ids
label_to_id = {name: i for i, name in enumerate(CLASS_NAMES)}
labels = np.array([label_to_id[s] for s in label_strings], dtype="int64")

# 2) uint8 [0,255] -> float32 [0,1], and add the channel axis: (N,28,28) -> (N,28,28,1)
x = images.astype("float32") / 255.0
x = x[..., np.newaxis]
print("model-ready:", x.shape, x.dtype, x.min(), x.max())

# 3) shuffle before splitting (the arrays are sorted by class!)
perm = rng.permutation(len(x))
x, labels = x[perm], labels[perm]
n_val = len(x) // 5
x_train, y_train = x[n_val:], labels[n_val:]
x_val, y_val = x[:n_val], labels[:n_val]

model = keras.Sequential(
    [
        layers.Input(shape=(IMG_H, IMG_W, 1)),
        layers.RandomTranslation(0.1, 0.1),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ],
    name="shape_cnn",
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=2, batch_size=32, verbose=2)


def predict_one(model, img_2d):
    """img_2d: a single uint8 (28, 28) array like the raw data."""
    batch = (img_2d.astype("float32") / 255.0).reshape(1, IMG_H, IMG_W, 1)
    probs = model.predict(batch, verbose=0)[0]
    return CLASS_NAMES[int(np.argmax(probs))], probs


test_img = draw("square", rng)
name, probs = predict_one(model, test_img)
print("single image ->", name, {c: round(float(p), 3) for c, p in zip(CLASS_NAMES, probs)})

# calling the model directly is faster than predict() for one sample
direct = model(x_val[:1], training=False)
print("direct call shape:", tuple(direct.shape), "pred:", CLASS_NAMES[int(np.argmax(direct))])

# per-class accuracy on the validation set
pred_ids = model.predict(x_val, verbose=0).argmax(axis=1)
for i, cname in enumerate(CLASS_NAMES):
    mask = y_val == i
    print(f"{cname:>7}: {np.mean(pred_ids[mask] == i):.2f} ({mask.sum()} samples)")
