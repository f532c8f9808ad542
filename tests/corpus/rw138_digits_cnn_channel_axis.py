# Small CNN on fake 28x28 "digit" images.
# Original problem from the notebook: I had images of shape (N, 28, 28) and
# Conv2D(input_shape=(28, 28)) -> "expected ndim=4, found ndim=3".
# Fixed by (a) adding a channel axis to the data and (b) using (28, 28, 1)
# as input_shape. Labels are one-hot via to_categorical so we can use
# categorical_crossentropy like the tutorial I was following.

import numpy as np
import keras
from keras import layers
from keras.utils import to_categorical

IMG_H, IMG_W = 28, 28
NUM_CLASSES = 10
N_TRAIN, N_TEST = 400, 100

np.random.seed(0)
keras.utils.set_random_seed(0)


def fake_digits(n):
    """Each class lights up a different horizontal band plus noise."""
    labels = np.random.randint(0, NUM_CLASSES, size=n)
    imgs = np.random.rand(n, IMG_H, IMG_W).astype("float32") * 0.3
    band = IMG_H // NUM_CLASSES
    for i, lab in enumerate(labels):
        r0 = lab * band
        imgs[i, r0:r0 + band + 1, 4:24] += 0.7
    return np.clip(imgs, 0, 1), labels


x_train, y_train = fake_digits(N_TRAIN)
x_test, y_test = fake_digits(N_TEST)
print("before:", x_train.shape, y_train.shape, y_train[:10])

# ---- FIX 1: channel axis ----
x_train = x_train[:, :, :, np.newaxis]
x_test = np.expand_dims(x_test, axis=-1)

# ---- one-hot labels ----
y_train_oh = to_categorical(y_train, num_classes=NUM_CLASSES)
y_test_oh = to_categorical(y_test, NUM_CLASSES)
print("after: ", x_train.shape, y_train_oh.shape)
print("first label one-hot:", y_train_oh[0], "<- class", y_train[0])

# ---- FIX 2: input_shape includes channels ----
model = keras.Sequential([
    layers.Conv2D(16, (3, 3), activation="relu", input_shape=(IMG_H, IMG_W, 1)),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(32, (3, 3), activation="relu"),
    layers.MaxPooling2D((2, 2)),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.25),
    layers.Dense(NUM_CLASSES, activation="softmax"),
])

# Walk the layers and print shapes, handy for spotting where Flatten explodes
print("\nlayer-by-layer output shapes:")
for layer in model.layers:
    print(f"  {layer.name:<20} {str(layer.output.shape):<22} params={layer.count_params()}")
print("model.output_shape =", model.output_shape)

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train_oh, batch_size=64, epochs=2,
                    validation_split=0.1, verbose=1)

loss, acc = model.evaluate(x_test, y_test_oh, verbose=0)
print(f"\ntest loss={loss:.4f} acc={acc:.3f}")

# Predict one test image. x_test[3] is (28, 28, 1) -> needs batch axis.
sample = x_test[3]
print("single sample shape:", sample.shape)
pred = model.predict(sample[None, ...], verbose=0)
print("pred shape:", pred.shape, "-> argmax", pred.argmax(axis=1)[0], "true", y_test[3])

# Slicing with a range keeps the batch axis, which is the other common trick
pred_slice = model.predict(x_test[3:4], verbose=0)
np.testing.assert_allclose(pred, pred_slice, rtol=1e-5)

# Decode predictions for a handful of images back from one-hot
probs = model.predict(x_test[:8], verbose=0)
decoded = np.argmax(probs, axis=-1)
true = np.argmax(y_test_oh[:8], axis=-1)
for p, t in zip(decoded, true):
    print(f"pred={p} true={t} {'ok' if p == t else 'x'}")
