"""Two-stage transfer learning with MobileNetV2 as a frozen backbone.

Stage 1 trains only a new classification head on top of a frozen
MobileNetV2 (include_top=False). Stage 2 unfreezes the last few blocks
and fine-tunes with a much smaller learning rate, keeping BatchNorm
layers in inference mode (the usual Keras fine-tuning recipe).

No pretrained weights are downloaded here (weights=None) so the script
runs offline; swap in weights="imagenet" for real use.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 64
NUM_CLASSES = 5
BATCH_SIZE = 16
NUM_SAMPLES = 64
HEAD_LR = 1e-3
FINETUNE_LR = 1e-5
UNFREEZE_FROM = "block_13_expand"  # everything from this layer on gets unfrozen

tf.random.set_seed(7)
np.random.seed(7)


def make_dataset(n, training=True):
    images = np.random.randint(0, 256, size=(n, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
    labels = np.random.randint(0, NUM_CLASSES, size=(n,))
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(n)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ],
    name="augment",
)


def build_model():
    base_model = keras.applications.MobileNetV2(
        input_shape=(IMG_SIZE, IMG_SIZE, 3),
        include_top=False,
        weights=None,
        alpha=0.35,
    )
    base_model.trainable = False

    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    x = data_augmentation(inputs)
    # MobileNetV2 expects pixels in [-1, 1]
    x = layers.Rescaling(1.0 / 127.5, offset=-1)(x)
    # training=False keeps BN statistics frozen even after we unfreeze
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="mobilenet_transfer")
    return model, base_model


def count_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


train_ds = make_dataset(NUM_SAMPLES)
val_ds = make_dataset(NUM_SAMPLES // 2, training=False)

model, base_model = build_model()
print("base output shape:", base_model.output_shape)
print("base layers:", len(base_model.layers))

model.compile(
    optimizer=keras.optimizers.Adam(HEAD_LR),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
print("stage 1 trainable params:", count_trainable(model))
model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

# ---- Stage 2: unfreeze the top of the backbone ----
base_model.trainable = True
unfreeze_idx = [l.name for l in base_model.layers].index(UNFREEZE_FROM)
for layer in base_model.layers[:unfreeze_idx]:
    layer.trainable = False
# BN layers stay frozen: fine-tuning their moving stats on tiny batches hurts
for layer in base_model.layers[unfreeze_idx:]:
    if isinstance(layer, layers.BatchNormalization):
        layer.trainable = False

print(f"unfreezing {len(base_model.layers) - unfreeze_idx} layers from '{UNFREEZE_FROM}'")

# must recompile after changing .trainable
model.compile(
    optimizer=keras.optimizers.Adam(FINETUNE_LR),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
print("stage 2 trainable params:", count_trainable(model))
history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

preds = model.predict(val_ds, verbose=0)
print("predictions:", preds.shape, "row sums ~1:", np.allclose(preds.sum(axis=1), 1.0, atol=1e-4))
