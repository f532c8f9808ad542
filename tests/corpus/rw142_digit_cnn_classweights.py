# Small digit-style CNN, originally written against standalone Keras 2.2,
# ported to tf.keras.  Synthetic "digits" are blurred blobs placed in a
# class-dependent position so the net has something to learn.
import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense, Lambda
from tensorflow.keras.utils import to_categorical
from tensorflow.keras import backend as K

np.random.seed(1337)
tf.random.set_seed(1337)

batch_size = 32
num_classes = 10
epochs = 2
img_rows, img_cols = 28, 28
n_samples = 600


def make_fake_digits(n, rows, cols, n_cls):
    """Gaussian blob whose centre depends on the label, plus noise."""
    y = np.random.randint(0, n_cls, size=n)
    # imbalance the classes a bit, like the real competition data
    y[: n // 4] = 0
    xx, yy = np.meshgrid(np.arange(cols), np.arange(rows))
    imgs = np.zeros((n, rows, cols), dtype="float32")
    for i, label in enumerate(y):
        cx = 4 + (label % 5) * 5
        cy = 7 + (label // 5) * 12
        imgs[i] = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 12.0)
    imgs += 0.15 * np.random.rand(n, rows, cols).astype("float32")
    return (imgs * 255).astype("uint8"), y


x_train, y_train = make_fake_digits(n_samples, img_rows, img_cols, num_classes)
x_test, y_test = make_fake_digits(100, img_rows, img_cols, num_classes)

if K.image_data_format() == "channels_first":
    x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
    x_test = x_test.reshape(x_test.shape[0], 1, img_rows, img_cols)
    input_shape = (1, img_rows, img_cols)
else:
    x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
    x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
    input_shape = (img_rows, img_cols, 1)

x_train = x_train.astype("float32")
x_test = x_test.astype("float32")
x_train /= 255
x_test /= 255
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# class weights: inverse frequency, normalised so the mean weight is 1
counts = np.bincount(y_train, minlength=num_classes)
class_weight = {i: float(len(y_train)) / (num_classes * max(c, 1)) for i, c in enumerate(counts)}
print("class weights:", {k: round(v, 2) for k, v in class_weight.items()})

y_train = to_categorical(y_train, num_classes)
y_test = to_categorical(y_test, num_classes)


def per_image_standardize(x):
    mean = K.mean(x, axis=[1, 2, 3], keepdims=True)
    std = K.std(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) / (std + K.epsilon())


model = Sequential()
model.add(Lambda(per_image_standardize, input_shape=input_shape, name="standardize"))
model.add(Conv2D(32, kernel_size=(3, 3), activation="relu"))
model.add(Conv2D(64, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Conv2D(64, (3, 3), activation="relu", padding="same"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(num_classes, activation="softmax"))

model.compile(
    loss=tf.keras.losses.categorical_crossentropy,
    optimizer=tf.keras.optimizers.Adadelta(learning_rate=1.0),
    metrics=["accuracy"],
)
model.summary()

history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    verbose=2,
    validation_split=0.2,
    class_weight=class_weight,
)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

preds = np.argmax(model.predict(x_test[:10], verbose=0), axis=1)
print("first predictions:", preds, "truth:", np.argmax(y_test[:10], axis=1))
for k, v in history.history.items():
    print(f"{k:>14}: {[round(x, 4) for x in v]}")
