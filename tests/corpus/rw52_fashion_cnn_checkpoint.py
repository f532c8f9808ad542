"""Fashion-MNIST CNN with ModelCheckpoint + EarlyStopping.

Blog-post style: a small conv net for 10 clothing classes, one-hot labels
with to_categorical, callbacks that save the best model to /tmp, reload it
and check that predictions match.
Data are synthetic arrays shaped like keras.datasets.fashion_mnist.
"""
import os

import numpy as np
import keras
from keras import layers

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
num_classes = len(CLASS_NAMES)
input_shape = (28, 28, 1)
batch_size = 64
epochs = 2
checkpoint_dir = "/tmp/rw52_fashion_ckpt"
os.makedirs(checkpoint_dir, exist_ok=True)
checkpoint_path = os.path.join(checkpoint_dir, "best_model.keras")

rng = np.random.default_rng(0)
train_images = rng.integers(0, 255, size=(1024, 28, 28)).astype("uint8")
train_labels = rng.integers(0, num_classes, size=(1024,))
test_images = rng.integers(0, 255, size=(256, 28, 28)).astype("uint8")
test_labels = rng.integers(0, num_classes, size=(256,))

# Normalise and add the channel dimension: (N, 28, 28) -> (N, 28, 28, 1)
train_images = np.expand_dims(train_images / 255.0, -1).astype("float32")
test_images = np.expand_dims(test_images / 255.0, -1).astype("float32")
print("train_images:", train_images.shape, "test_images:", test_images.shape)

# one-hot encode labels
y_train = keras.utils.to_categorical(train_labels, num_classes)
y_test = keras.utils.to_categorical(test_labels, num_classes)
print("y_train:", y_train.shape)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

# Print the output shape after each layer, like many tutorials do
x = np.zeros((1,) + input_shape, dtype="float32")
for layer in model.layers:
    x = layer(x)
    print(f"{layer.name:>20s} -> {tuple(x.shape)}")

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

callbacks = [
    keras.callbacks.ModelCheckpoint(
        filepath=checkpoint_path,
        monitor="val_accuracy",
        save_best_only=True,
        verbose=1,
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, verbose=1),
    keras.callbacks.CSVLogger(os.path.join(checkpoint_dir, "training_log.csv")),
]

history = model.fit(
    train_images,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    validation_data=(test_images, y_test),
    callbacks=callbacks,
    verbose=2,
)

test_loss, test_acc = model.evaluate(test_images, y_test, verbose=0)
print(f"\nTest accuracy: {test_acc:.4f}  (loss {test_loss:.4f})")

# Load the best checkpoint back
best_model = keras.models.load_model(checkpoint_path)
predictions = best_model.predict(test_images, verbose=0)
print("predictions shape:", predictions.shape)


def describe_prediction(i, predictions_array, true_label):
    predicted_label = int(np.argmax(predictions_array))
    confidence = 100 * np.max(predictions_array)
    status = "OK " if predicted_label == true_label else "BAD"
    return f"[{status}] {CLASS_NAMES[predicted_label]:<12} {confidence:5.1f}% (true: {CLASS_NAMES[true_label]})"


for i in range(4):
    print(describe_prediction(i, predictions[i], int(test_labels[i])))

# Single image prediction: a batch of one
img = test_images[1]
print("single img shape:", img.shape)
img = np.expand_dims(img, 0)
single = best_model.predict(img, verbose=0)
print("single prediction argmax:", np.argmax(single[0]))

# Confusion matrix by hand
pred_classes = np.argmax(predictions, axis=-1)
true_classes = np.argmax(y_test, axis=-1)
cm = np.zeros((num_classes, num_classes), dtype=int)
for t, p in zip(true_classes, pred_classes):
    cm[t, p] += 1
print("confusion matrix diagonal:", np.diag(cm))
