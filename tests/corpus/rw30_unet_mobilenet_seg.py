"""
Semantic segmentation with a MobileNetV2 encoder (U-Net style decoder).
Same idea as the TF pix2pix / oxford-pets tutorial, but no download: weights=None
and synthetic shapes as masks.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from keras.applications import MobileNetV2

IMG_SIZE = 64
NUM_CLASSES = 3  # background, circle, square
BATCH_SIZE = 4
N_IMAGES = 12

# encoder activations we tap for the skip connections
SKIP_LAYERS = [
    "block_1_expand_relu",   # 32x32
    "block_3_expand_relu",   # 16x16
    "block_6_expand_relu",   # 8x8
    "block_13_expand_relu",  # 4x4
    "block_16_project",      # 2x2
]


def random_scene(rng):
    img = np.full((IMG_SIZE, IMG_SIZE, 3), 30, np.uint8)
    mask = np.zeros((IMG_SIZE, IMG_SIZE), np.uint8)
    yy, xx = np.mgrid[:IMG_SIZE, :IMG_SIZE]
    for _ in range(rng.integers(1, 4)):
        cy, cx = rng.integers(12, IMG_SIZE - 12, size=2)
        r = rng.integers(5, 11)
        if rng.random() < 0.5:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
            mask[m] = 1
            img[m] = (200, 80, 80)
        else:
            m = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
            mask[m] = 2
            img[m] = (80, 80, 200)
    img = np.clip(img + rng.normal(0, 10, img.shape), 0, 255).astype(np.uint8)
    return img, mask


def encode_all(n, seed=0):
    rng = np.random.default_rng(seed)
    img_bytes, mask_bytes = [], []
    for _ in range(n):
        im, m = random_scene(rng)
        img_bytes.append(tf.io.encode_jpeg(im).numpy())
        mask_bytes.append(tf.io.encode_png(m[..., None]).numpy())  # masks must be lossless
    return img_bytes, mask_bytes


def load_pair(img_b, mask_b):
    image = tf.io.decode_jpeg(img_b, channels=3)
    mask = tf.image.decode_png(mask_b, channels=1)
    image = tf.image.resize(image, (IMG_SIZE, IMG_SIZE))
    mask = tf.image.resize(mask, (IMG_SIZE, IMG_SIZE), method="nearest")
    return image, mask


def augment_pair(image, mask):
    # stack so both get the same random flip / crop
    stacked = tf.concat([image, tf.cast(mask, tf.float32)], axis=-1)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.resize_with_crop_or_pad(stacked, IMG_SIZE + 8, IMG_SIZE + 8)
    stacked = tf.image.random_crop(stacked, (IMG_SIZE, IMG_SIZE, 4))
    image, mask = stacked[..., :3], stacked[..., 3:]
    return image, tf.cast(mask, tf.uint8)


def normalize(image, mask):
    image = keras.applications.mobilenet_v2.preprocess_input(image)
    return image, mask


def upsample(filters, size, dropout=False):
    block = keras.Sequential()
    block.add(layers.Conv2DTranspose(filters, size, strides=2, padding="same", use_bias=False))
    block.add(layers.BatchNormalization())
    if dropout:
        block.add(layers.Dropout(0.3))
    block.add(layers.ReLU())
    return block


def build_unet(num_classes):
    base = MobileNetV2(input_shape=(IMG_SIZE, IMG_SIZE, 3), alpha=0.35,
                       include_top=False, weights=None)
    skips_out = [base.get_layer(name).output for name in SKIP_LAYERS]
    encoder = keras.Model(inputs=base.input, outputs=skips_out, name="encoder")
    # as in the tutorial, keep the encoder frozen (swap weights=None for 'imagenet' when online)
    encoder.trainable = False

    decoder_stack = [upsample(f, 3, dropout=(i == 0)) for i, f in enumerate([128, 64, 32, 16])]

    inputs = layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    feats = encoder(inputs)
    x = feats[-1]
    for up, skip in zip(decoder_stack, reversed(feats[:-1])):
        x = up(x)
        x = layers.Concatenate()([x, skip])

    x = layers.Conv2DTranspose(num_classes, 3, strides=2, padding="same")(x)
    return keras.Model(inputs, x, name="mobilenet_unet")


class MeanIoUFromLogits(keras.metrics.MeanIoU):
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.argmax(y_pred, axis=-1)
        return super().update_state(y_true, y_pred, sample_weight)


def main():
    tf.random.set_seed(0)
    img_b, mask_b = encode_all(N_IMAGES)
    ds = tf.data.Dataset.from_tensor_slices((img_b, mask_b)).map(load_pair, num_parallel_calls=tf.data.AUTOTUNE)
    n_train = int(N_IMAGES * 0.75)
    train = ds.take(n_train).cache().shuffle(n_train).map(augment_pair).map(normalize).batch(BATCH_SIZE)
    val = ds.skip(n_train).map(normalize).batch(BATCH_SIZE)

    for im, m in train.take(1):
        print("train batch", im.shape, m.shape, "classes present:", np.unique(m.numpy()).tolist())

    model = build_unet(NUM_CLASSES)
    print(f"{model.name}: {model.count_params():,} params, output {model.output_shape}")

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy", MeanIoUFromLogits(num_classes=NUM_CLASSES, name="miou")],
        jit_compile=False,  # XLA compile of the backbone takes forever on CPU
    )
    model.fit(train, epochs=1, verbose=2)
    print(model.evaluate(val, verbose=0, return_dict=True))

    logits = model.predict(val, verbose=0)
    pred_mask = np.argmax(logits, axis=-1)
    true_mask = np.concatenate([m.numpy()[..., 0] for _, m in val])
    pixel_acc = (pred_mask == true_mask).mean()
    counts = np.bincount(pred_mask.ravel(), minlength=NUM_CLASSES)
    print(f"val pixel acc {pixel_acc:.3f}, predicted class histogram {counts.tolist()}")


if __name__ == "__main__":
    main()
