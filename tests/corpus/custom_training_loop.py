"""Eager custom training loop with GradientTape over a batched dataset."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

inputs = keras.Input(shape=(784,), name="digits")
x1 = keras.layers.Dense(64, activation="relu")(inputs)
x2 = keras.layers.Dense(64, activation="relu")(x1)
outputs = keras.layers.Dense(10, name="predictions")(x2)
model = keras.Model(inputs=inputs, outputs=outputs)

optimizer = keras.optimizers.SGD(learning_rate=1e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc_metric = keras.metrics.SparseCategoricalAccuracy()

x_train = np.random.rand(64, 784).astype("float32")
y_train = np.random.randint(0, 10, size=(64,))
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)

for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
    with tf.GradientTape() as tape:
        logits = model(x_batch_train, training=True)
        loss_value = loss_fn(y_batch_train, logits)
    grads = tape.gradient(loss_value, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_acc_metric.update_state(y_batch_train, logits)
    if step % 2 == 0:
        print(f"step {step}: loss {float(loss_value):.4f}")

final_logits = model(x_train[:5], training=False)
top_class = tf.argmax(final_logits, axis=1)
