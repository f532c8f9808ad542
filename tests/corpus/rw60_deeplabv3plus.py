"""Multiclass semantic segmentation with DeepLabV3+ (Crowd Instance-level Human Parsing style).

Re-implements the keras.io DeepLabV3+ example: a ResNet-style backbone,
Dilated Spatial Pyramid Pooling on the stride-16 features, low-level features
from the stride-4 stage, bilinear upsampling and a 1x1 classifier. The full
ResNet50 takes ages to trace on CPU, so for quick experiments we use a tiny
ResNet with the same layer names (set USE_RESNET50 = True for the real thing).
Training uses a hand-written tf.GradientTape loop with mean-IoU tracking
instead of model.fit, the way I usually debug new segmentation heads.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SIZE = 64
BATCH_SIZE = 4
NUM_CLASSES = 5
NUM_TRAIN_IMAGES = 12
NUM_VAL_IMAGES = 4
TRAIN_STEPS = 3
LEARNING_RATE = 1e-3
USE_RESNET50 = False
# (stride-16 feature layer, stride-4 feature layer)
BACKBONE_TAPS = {
    "resnet50": ("conv4_block6_2_relu", "conv2_block3_2_relu"),
    "tiny": ("conv4_block3_2_relu", "conv2_block2_2_relu"),
}


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def synth_parsing_sample(rng):
    """Horizontal bands of 'body parts' on a noisy background."""
    img = rng.uniform(0, 255, (IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE, 1), dtype="int32")
    cuts = np.sort(rng.choice(np.arange(4, IMAGE_SIZE - 4), NUM_CLASSES - 1, replace=False))
    left, right = sorted(rng.integers(8, IMAGE_SIZE - 8, size=2))
    for cls, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]), start=1):
        mask[a:b, left:right + 1] = cls
        img[a:b, left:right + 1] = 40.0 * cls
    return img, mask


def read_image(image, mask):
    # The original decoded PNG/JPEG files here; our arrays are already decoded.
    image = tf.image.resize(image, [IMAGE_SIZE, IMAGE_SIZE])
    image = keras.applications.resnet50.preprocess_input(image)
    mask = tf.image.resize(mask, [IMAGE_SIZE, IMAGE_SIZE], method="nearest")
    return image, tf.cast(mask, tf.int32)


def data_generator(images, masks, training=True):
    dataset = tf.data.Dataset.from_tensor_slices((images, masks))
    if training:
        dataset = dataset.shuffle(len(images)).repeat()
    dataset = dataset.map(read_image, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(BATCH_SIZE, drop_remainder=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def convolution_block(
    block_input,
    num_filters=256,
    kernel_size=3,
    dilation_rate=1,
    use_bias=False,
):
    x = layers.Conv2D(
        num_filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
    )(block_input)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def DilatedSpatialPyramidPooling(dspp_input, num_filters=64):
    dims = dspp_input.shape
    x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)
    x = convolution_block(x, num_filters=num_filters, kernel_size=1, use_bias=True)
    out_pool = layers.UpSampling2D(
        size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]),
        interpolation="bilinear",
    )(x)

    out_1 = convolution_block(dspp_input, num_filters=num_filters, kernel_size=1, dilation_rate=1)
    out_6 = convolution_block(dspp_input, num_filters=num_filters, kernel_size=3, dilation_rate=6)
    out_12 = convolution_block(dspp_input, num_filters=num_filters, kernel_size=3, dilation_rate=12)
    out_18 = convolution_block(dspp_input, num_filters=num_filters, kernel_size=3, dilation_rate=18)

    x = layers.Concatenate(axis=-1)([out_pool, out_1, out_6, out_12, out_18])
    output = convolution_block(x, num_filters=num_filters, kernel_size=1)
    return output


def residual_stage(x, filters, num_blocks, stride, stage):
    for i in range(1, num_blocks + 1):
        s = stride if i == 1 else 1
        name = f"conv{stage}_block{i}"
        shortcut = x
        if s != 1 or x.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=s, name=f"{name}_0_conv")(x)
        y = layers.Conv2D(filters, 3, strides=s, padding="same", use_bias=False,
                          name=f"{name}_1_conv")(x)
        y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
        y = layers.Activation("relu", name=f"{name}_1_relu")(y)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
        y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
        y = layers.Activation("relu", name=f"{name}_2_relu")(y)
        x = layers.Add(name=f"{name}_add")([shortcut, y])
    return x


def tiny_resnet(model_input):
    x = layers.Conv2D(32, 7, strides=2, padding="same", name="conv1_conv")(model_input)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_pool")(x)
    x = residual_stage(x, 32, num_blocks=2, stride=1, stage=2)   # stride 4
    x = residual_stage(x, 64, num_blocks=1, stride=2, stage=3)   # stride 8
    x = residual_stage(x, 96, num_blocks=3, stride=2, stage=4)   # stride 16
    return keras.Model(model_input, x, name="tiny_resnet")


def DeeplabV3Plus(image_size, num_classes, head_filters=64):
    model_input = keras.Input(shape=(image_size, image_size, 3))
    if USE_RESNET50:
        resnet50 = keras.applications.ResNet50(
            weights=None, include_top=False, input_tensor=model_input
        )
    else:
        resnet50 = tiny_resnet(model_input)
    high_name, low_name = BACKBONE_TAPS["resnet50" if USE_RESNET50 else "tiny"]
    x = resnet50.get_layer(high_name).output
    x = DilatedSpatialPyramidPooling(x, num_filters=head_filters)

    input_a = layers.UpSampling2D(
        size=(image_size // 4 // x.shape[1], image_size // 4 // x.shape[2]),
        interpolation="bilinear",
    )(x)
    input_b = resnet50.get_layer(low_name).output
    input_b = convolution_block(input_b, num_filters=48, kernel_size=1)

    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x, num_filters=head_filters)
    x = convolution_block(x, num_filters=head_filters)
    x = layers.UpSampling2D(
        size=(image_size // x.shape[1], image_size // x.shape[2]),
        interpolation="bilinear",
    )(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output, name="deeplabv3plus")


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
class SegmentationTrainer:
    def __init__(self, model, num_classes, learning_rate):
        self.model = model
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.miou = keras.metrics.MeanIoU(num_classes=num_classes)

    @tf.function
    def train_step(self, images, masks):
        with tf.GradientTape() as tape:
            logits = self.model(images, training=True)
            loss = self.loss_fn(masks, logits)
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        self.loss_tracker.update_state(loss)
        return loss

    @tf.function
    def eval_step(self, images, masks):
        logits = self.model(images, training=False)
        preds = tf.argmax(logits, axis=-1)
        self.miou.update_state(tf.squeeze(masks, axis=-1), preds)

    def fit(self, train_ds, val_ds, steps):
        for step, (images, masks) in enumerate(train_ds.take(steps)):
            t0 = time.time()
            loss = self.train_step(images, masks)
            print(f"step {step}: loss={float(loss):.4f} ({time.time() - t0:.1f}s)")
        for images, masks in val_ds:
            self.eval_step(images, masks)
        print(f"mean train loss={float(self.loss_tracker.result()):.4f} "
              f"val mIoU={float(self.miou.result()):.4f}")


def decode_segmentation_masks(mask, n_classes):
    colormap = np.random.default_rng(0).integers(0, 255, size=(n_classes, 3)).astype("uint8")
    return colormap[mask]


if __name__ == "__main__":
    tf.random.set_seed(7)
    rng = np.random.default_rng(7)
    pairs = [synth_parsing_sample(rng) for _ in range(NUM_TRAIN_IMAGES + NUM_VAL_IMAGES)]
    all_images = np.stack([p[0] for p in pairs])
    all_masks = np.stack([p[1] for p in pairs])

    train_dataset = data_generator(all_images[:NUM_TRAIN_IMAGES], all_masks[:NUM_TRAIN_IMAGES])
    val_dataset = data_generator(
        all_images[NUM_TRAIN_IMAGES:], all_masks[NUM_TRAIN_IMAGES:], training=False
    )
    print("Train Dataset:", train_dataset.element_spec)

    model = DeeplabV3Plus(image_size=IMAGE_SIZE, num_classes=NUM_CLASSES)
    print("params:", model.count_params(), "output:", model.output_shape)

    trainer = SegmentationTrainer(model, NUM_CLASSES, LEARNING_RATE)
    trainer.fit(train_dataset, val_dataset, steps=TRAIN_STEPS)

    # Inference on one validation image -> colour overlay
    sample_img, _ = next(iter(val_dataset))
    pred = model.predict(sample_img[:1], verbose=0)
    pred_mask = np.argmax(np.squeeze(pred), axis=-1)
    rgb = decode_segmentation_masks(pred_mask, NUM_CLASSES)
    print("colour mask:", rgb.shape, "classes present:", np.unique(pred_mask))
