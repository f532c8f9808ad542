"""U-Net style segmentation head on an EfficientNetB0 encoder.

The encoder is `keras.applications.EfficientNetB0(include_top=False)`;
skip connections are pulled out of the backbone by layer name and fed
into a light decoder. Training uses a hand-written GradientTape loop
with a frozen encoder for the first few steps, then unfreezes it.
"""
import time

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 64
NUM_CLASSES = 3
BATCH = 2
WARMUP_STEPS = 2
FINETUNE_STEPS = 2

# encoder taps, deepest first
BOTTLENECK = "block6a_expand_activation"  # 4x4
SKIP_NAMES = [
    "block4a_expand_activation",  # 8x8
    "block3a_expand_activation",  # 16x16
    "block2a_expand_activation",  # 32x32
]
DECODER_FILTERS = [128, 64, 32, 16]


def build_encoder():
    backbone = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_shape=(IMG_SIZE, IMG_SIZE, 3)
    )
    outputs = [backbone.get_layer(BOTTLENECK).output] + [
        backbone.get_layer(n).output for n in SKIP_NAMES
    ]
    return keras.Model(backbone.input, outputs, name="effnet_encoder")


def upsample_block(x, skip, filters, name):
    x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"{name}_up")(x)
    if skip is not None:
        x = layers.Concatenate(name=f"{name}_concat")([x, skip])
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_unet(encoder):
    inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3), name="image")
    bottleneck, *skips = encoder(inputs)
    x = bottleneck
    # one more upsample than we have skips: 32 -> 64 has no matching tap
    for i, filters in enumerate(DECODER_FILTERS):
        skip = skips[i] if i < len(skips) else None
        x = upsample_block(x, skip, filters, name=f"dec{i}")
    logits = layers.Conv2D(NUM_CLASSES, 1, name="mask_logits")(x)
    return keras.Model(inputs, logits, name="effnet_unet")


def synthetic_batch(seed):
    """Random images with blob masks: class = which third of the image is brighter."""
    g = tf.random.Generator.from_seed(seed)
    images = g.uniform((BATCH, IMG_SIZE, IMG_SIZE, 3), 0, 255)
    cols = tf.range(IMG_SIZE)
    band = tf.minimum(cols * NUM_CLASSES // IMG_SIZE, NUM_CLASSES - 1)
    masks = tf.broadcast_to(band[None, None, :], (BATCH, IMG_SIZE, IMG_SIZE))
    # brighten the region matching each class so the task is learnable
    boost = tf.one_hot(masks, NUM_CLASSES)[..., :3] * 40.0
    return tf.clip_by_value(images + boost, 0, 255), masks


def mean_iou(y_true, logits):
    y_pred = tf.argmax(logits, axis=-1, output_type=tf.int32)
    m = keras.metrics.MeanIoU(num_classes=NUM_CLASSES)
    m.update_state(y_true, y_pred)
    return float(m.result())


encoder = build_encoder()
model = build_unet(encoder)
print("encoder outputs:", [tuple(o.shape) for o in encoder.outputs])
print("model output:", model.output_shape)

loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(1e-3)


def make_train_step():
    # rebuilt after changing trainability so the trace picks up new variables
    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step


encoder.trainable = False
print("warmup trainable vars:", len(model.trainable_variables))
step_fn = make_train_step()
t0 = time.time()
for step in range(WARMUP_STEPS):
    x, y = synthetic_batch(step)
    loss = step_fn(x, y)
    print(f"[warmup {step}] loss={float(loss):.4f}")

encoder.trainable = True
# keep BN frozen inside the backbone
for layer in encoder.layers:
    if isinstance(layer, layers.BatchNormalization):
        layer.trainable = False
optimizer = keras.optimizers.Adam(1e-4)
print("finetune trainable vars:", len(model.trainable_variables))
step_fn = make_train_step()
for step in range(FINETUNE_STEPS):
    x, y = synthetic_batch(100 + step)
    loss = step_fn(x, y)
    print(f"[finetune {step}] loss={float(loss):.4f}")

x_val, y_val = synthetic_batch(999)
val_logits = model(x_val, training=False)
print("val logits:", val_logits.shape, "mIoU:", round(mean_iou(y_val, val_logits), 3))
print(f"done in {time.time() - t0:.1f}s")
