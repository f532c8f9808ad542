"""Transfer-learning recipe with keras.applications.MobileNetV2.

Stage 1: freeze the backbone and train a new head with model.fit.
Stage 2: unfreeze the top N layers (keeping BatchNorm frozen) and
fine-tune with a hand written GradientTape loop at a lower LR.
weights=None because the box has no internet; data is random noise.
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow.keras.applications import MobileNetV2
from tensorflow.keras.layers import (Dense, Dropout, GlobalAveragePooling2D,
                                     Input, RandomFlip, RandomRotation, BatchNormalization)
from tensorflow.keras.models import Model

IMG_SHAPE = (64, 64, 3)
N_CLASSES = 3
BS = 8
FINE_TUNE_AT = 120   # freeze everything below this layer index
head_lr, ft_lr = 1e-3, 1e-5

data_augmentation = tf.keras.Sequential([
    RandomFlip("horizontal"),
    RandomRotation(0.1),
], name="data_augmentation")

base_model = MobileNetV2(input_shape=IMG_SHAPE, include_top=False,
                         weights=None, alpha=0.35)
base_model.trainable = False
print("Number of layers in the base model:", len(base_model.layers))

inputs = Input(shape=IMG_SHAPE)
x = data_augmentation(inputs)
x = tf.keras.applications.mobilenet_v2.preprocess_input(x)
x = base_model(x, training=False)   # keep BN in inference mode
x = GlobalAveragePooling2D()(x)
x = Dropout(0.2)(x)
x = Dense(64, activation="relu", name="head_fc")(x)
outputs = Dense(N_CLASSES, name="head_logits")(x)
model = Model(inputs, outputs)

model.compile(optimizer=tf.keras.optimizers.Adam(head_lr),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.summary()
print("trainable vars (head only):", len(model.trainable_variables))

# fake "image folder" dataset, pixel values 0..255 like image_dataset_from_directory
X = np.random.uniform(0, 255, size=(48,) + IMG_SHAPE).astype("float32")
Y = np.random.randint(0, N_CLASSES, size=(48,)).astype("int32")
train_ds = (tf.data.Dataset.from_tensor_slices((X[:32], Y[:32]))
            .shuffle(32).batch(BS).prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((X[32:], Y[32:])).batch(BS)

loss0, acc0 = model.evaluate(val_ds, verbose=0)
print(f"initial loss: {loss0:.2f}, initial accuracy: {acc0:.2f}")

hist = model.fit(train_ds, epochs=1, validation_data=val_ds, verbose=2)

# ---------------- stage 2: fine tuning -----------------
base_model.trainable = True
for layer in base_model.layers[:FINE_TUNE_AT]:
    layer.trainable = False
for layer in base_model.layers:
    if isinstance(layer, BatchNormalization):
        layer.trainable = False
print("trainable vars after unfreeze:", len(model.trainable_variables))

optimizer = tf.keras.optimizers.RMSprop(learning_rate=ft_lr)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
train_acc = tf.keras.metrics.SparseCategoricalAccuracy()
val_acc = tf.keras.metrics.SparseCategoricalAccuracy()


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = loss_fn(labels, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_acc.update_state(labels, logits)
    return loss


@tf.function
def val_step(images, labels):
    logits = model(images, training=False)
    val_acc.update_state(labels, logits)


for epoch in range(1):
    train_acc.reset_state(); val_acc.reset_state()
    losses = []
    for step, (xb, yb) in enumerate(train_ds):
        l = train_step(xb, yb)
        losses.append(float(l))
        if step % 2 == 0:
            print(f"  epoch {epoch} step {step} loss={l.numpy():.4f}")
    for xb, yb in val_ds:
        val_step(xb, yb)
    print(f"epoch {epoch}: loss {np.mean(losses):.4f} "
          f"train_acc {train_acc.result():.3f} val_acc {val_acc.result():.3f}")

image_batch, label_batch = next(iter(val_ds))
predictions = tf.nn.softmax(model.predict_on_batch(image_batch))
print("Predictions:", tf.argmax(predictions, axis=1).numpy())
print("Labels:     ", label_batch.numpy())
