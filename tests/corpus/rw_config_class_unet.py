"""Small U-Net for segmentation; hyper-parameters live on a Config class."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model


class Config:
    IMG_SIZE = 32
    IN_CHANNELS = 3
    N_CLASSES = 4
    FILTERS = [8, 16, 32]
    BOTTLENECK = 64
    DROPOUT = 0.1
    BATCH_SIZE = 4


cfg = Config()


def double_conv(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", name=name + "_c1")(x)
    x = layers.BatchNormalization(name=name + "_bn1")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", name=name + "_c2")(x)
    x = layers.BatchNormalization(name=name + "_bn2")(x)
    return layers.Activation("relu")(x)


def build_unet(config=Config):
    inputs = layers.Input((config.IMG_SIZE, config.IMG_SIZE, config.IN_CHANNELS))
    skips = []
    x = inputs
    for i, f in enumerate(config.FILTERS):
        x = double_conv(x, f, name="down%d" % i)
        skips.append(x)
        x = layers.MaxPool2D(2)(x)
        x = layers.Dropout(config.DROPOUT)(x)

    x = double_conv(x, config.BOTTLENECK, name="bottleneck")

    for i, (f, skip) in enumerate(zip(reversed(config.FILTERS), reversed(skips))):
        x = layers.Conv2DTranspose(f, 2, strides=2, padding="same")(x)
        x = layers.concatenate([x, skip], axis=-1)
        x = double_conv(x, f, name="up%d" % i)

    outputs = layers.Conv2D(config.N_CLASSES, 1, activation="softmax")(x)
    return Model(inputs, outputs, name="unet")


model = build_unet(cfg)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

images = np.random.rand(4, cfg.IMG_SIZE, cfg.IMG_SIZE, cfg.IN_CHANNELS).astype(np.float32)
masks = np.random.randint(0, cfg.N_CLASSES, size=(4, cfg.IMG_SIZE, cfg.IMG_SIZE, 1))
# model.fit(images, masks, batch_size=cfg.BATCH_SIZE, epochs=cfg.EPOCHS)  (skipped in the smoke run)
pred_mask = tf.argmax(model(images[:2]), axis=-1)
pred_mask = pred_mask[..., tf.newaxis]
