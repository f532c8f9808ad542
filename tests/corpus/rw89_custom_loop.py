"""
Lab 5: writing the training loop yourself.

Task: re-implement model.fit() for a small MNIST convnet using tf.GradientTape.
We (1) subclass keras.Model, (2) write train_step / test_step as tf.functions,
(3) track loss/accuracy with keras.metrics, and (4) clip gradients by global
norm as asked in question 5b. Synthetic MNIST-shaped data keeps it offline.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

BATCH = 128
EPOCHS = 1
MAX_STEPS_PER_EPOCH = 15   # keep the autograder fast
CLIP_NORM = 5.0
LR = 2e-3


class MnistConvNet(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.reshape = keras.layers.Reshape((28, 28, 1))
        self.conv1 = keras.layers.Conv2D(16, 5, padding="same", activation="relu")
        self.pool1 = keras.layers.MaxPool2D()
        self.conv2 = keras.layers.Conv2D(32, 5, padding="same", activation="relu")
        self.pool2 = keras.layers.MaxPool2D()
        self.flatten = keras.layers.Flatten()
        self.fc1 = keras.layers.Dense(128, activation="relu")
        self.dropout = keras.layers.Dropout(0.5)
        self.fc2 = keras.layers.Dense(num_classes)

    def call(self, x, training=False):
        x = self.reshape(x)          # accept flat 784 vectors
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))   # (B, 7, 7, 32)
        x = self.flatten(x)
        x = self.fc1(x)
        x = self.dropout(x, training=training)
        return self.fc2(x)


def synthetic_mnist(n, seed):
    g = tf.random.Generator.from_seed(seed)
    x = g.uniform((n, 784), 0, 1)
    y = g.uniform((n,), 0, 10, dtype=tf.int32)
    return x, y


x_train, y_train = synthetic_mnist(4096, seed=1)
x_test, y_test = synthetic_mnist(512, seed=2)

train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(4096, seed=0)
            .batch(BATCH, drop_remainder=True))
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BATCH)

model = MnistConvNet()
_ = model(tf.zeros((1, 784)))  # build weights so summary() shows params
model.summary()

loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=LR)

train_loss = keras.metrics.Mean(name="train_loss")
train_acc = keras.metrics.SparseCategoricalAccuracy(name="train_acc")
test_loss = keras.metrics.Mean(name="test_loss")
test_acc = keras.metrics.SparseCategoricalAccuracy(name="test_acc")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = loss_fn(labels, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, global_norm = tf.clip_by_global_norm(grads, CLIP_NORM)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_acc.update_state(labels, logits)
    return global_norm


@tf.function
def test_step(images, labels):
    logits = model(images, training=False)
    test_loss.update_state(loss_fn(labels, logits))
    test_acc.update_state(labels, logits)


for epoch in range(EPOCHS):
    start = time.time()
    for m in (train_loss, train_acc, test_loss, test_acc):
        m.reset_state()

    for step, (xb, yb) in enumerate(train_ds):
        gnorm = train_step(xb, yb)
        if step % 5 == 0:
            print(f"  step {step:3d}  loss={train_loss.result():.4f}  grad_norm={float(gnorm):.3f}")
        if step + 1 >= MAX_STEPS_PER_EPOCH:
            break

    for xb, yb in test_ds:
        test_step(xb, yb)

    print(
        f"Epoch {epoch + 1}: "
        f"loss {train_loss.result():.4f}, acc {train_acc.result() * 100:.2f}%, "
        f"test loss {test_loss.result():.4f}, test acc {test_acc.result() * 100:.2f}% "
        f"({time.time() - start:.1f}s)"
    )

# Q5c: sanity check - the loop above should match what model.evaluate reports
model.compile(loss=loss_fn, metrics=["accuracy"])
print("evaluate():", model.evaluate(test_ds, verbose=0))
