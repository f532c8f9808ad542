"""MNIST with a subclassed model and a custom training loop (GradientTape).

The "expert" half of the TensorFlow 2 quickstart: subclass keras.Model,
write train_step/test_step by hand with tf.GradientTape inside tf.function,
track metrics with keras.metrics objects and reset them every epoch.
Data is random uint8 noise shaped like MNIST.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

EPOCHS = 2
BATCH = 32
STEPS_PER_EPOCH = 20

print("TensorFlow version:", tf.__version__)

x_train = np.random.randint(0, 256, (BATCH * STEPS_PER_EPOCH, 28, 28)).astype("uint8")
y_train = np.random.randint(0, 10, (BATCH * STEPS_PER_EPOCH,))
x_test = np.random.randint(0, 256, (256, 28, 28)).astype("uint8")
y_test = np.random.randint(0, 10, (256,))

x_train, x_test = x_train / 255.0, x_test / 255.0
# Add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(10000).batch(BATCH)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BATCH)


class MyModel(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(32, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.conv2 = layers.Conv2D(32, 3, activation="relu")
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(128, activation="relu")
        self.dropout = layers.Dropout(0.3)
        self.d2 = layers.Dense(num_classes)

    def call(self, x, training=False):
        x = self.conv1(x)        # (B, 26, 26, 32)
        x = self.pool(x)         # (B, 13, 13, 32)
        x = self.conv2(x)        # (B, 11, 11, 32)
        x = self.flatten(x)      # (B, 3872)
        x = self.d1(x)
        x = self.dropout(x, training=training)
        return self.d2(x)


# Create an instance of the model
model = MyModel()
_ = model(tf.zeros((1, 28, 28, 1)))  # subclassed models are built on first call
model.summary()

loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam()

train_loss = keras.metrics.Mean(name="train_loss")
train_accuracy = keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
test_loss = keras.metrics.Mean(name="test_loss")
test_accuracy = keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    train_loss.update_state(loss)
    train_accuracy.update_state(labels, predictions)
    return loss


@tf.function
def test_step(images, labels):
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)
    test_loss.update_state(t_loss)
    test_accuracy.update_state(labels, predictions)


for epoch in range(EPOCHS):
    start = time.time()
    # Reset the metrics at the start of the next epoch
    for m in (train_loss, train_accuracy, test_loss, test_accuracy):
        m.reset_state()

    for step, (images, labels) in enumerate(train_ds):
        loss_value = train_step(images, labels)
        if step % 10 == 0:
            print(f"  step {step:3d}  batch loss {float(loss_value):.4f}")

    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)

    print(
        f"Epoch {epoch + 1}, "
        f"Loss: {float(train_loss.result()):.4f}, "
        f"Accuracy: {float(train_accuracy.result()) * 100:.2f}, "
        f"Test Loss: {float(test_loss.result()):.4f}, "
        f"Test Accuracy: {float(test_accuracy.result()) * 100:.2f}, "
        f"time {time.time() - start:.1f}s"
    )

# Inference: logits -> probabilities -> class ids, all with keras.ops
logits = model(x_test[:10], training=False)
probs = ops.softmax(logits, axis=-1)
pred_ids = ops.argmax(probs, axis=-1)
top2 = ops.top_k(probs, k=2)
print("probs:", tuple(probs.shape), "pred ids:", ops.convert_to_numpy(pred_ids))
print("top-2 indices shape:", tuple(top2.indices.shape))
manual_acc = ops.mean(ops.cast(ops.equal(pred_ids, y_test[:10]), "float32"))
print("accuracy on 10 samples:", float(manual_acc))

# Save just the weights, reload into a fresh instance
weights_path = "/tmp/rw52_ctl_mnist.weights.h5"
model.save_weights(weights_path)
restored = MyModel()
restored(x_test[:1])  # create the variables before loading
restored.load_weights(weights_path)
diff = np.abs(restored(x_test[:4]).numpy() - model(x_test[:4]).numpy()).max()
print("max diff after reload:", diff)
