"""MobileNetV2-style classifier built from inverted residual blocks.

Small synthetic image task: classify which quadrant holds a bright blob.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
IMG_SIZE = 32
NUM_CLASSES = 4
N_TRAIN = 384
N_VAL = 96
BATCH = 32
EPOCHS = 2
WIDTH_MULT = 0.5

# (expansion t, output channels c, repeats n, first stride s) -- like the paper table
BLOCK_SPEC = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 2, 2),
    (6, 64, 1, 2),
]

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_divisible(v, divisor=8, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    # make sure rounding down does not drop more than 10%
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def make_blob_images(n, size=IMG_SIZE):
    xs = np.random.normal(0.0, 0.15, size=(n, size, size, 3)).astype("float32")
    ys = np.random.randint(0, NUM_CLASSES, size=n)
    half = size // 2
    yy, xx = np.mgrid[0:size, 0:size]
    for i, label in enumerate(ys):
        oy = (label // 2) * half
        ox = (label % 2) * half
        cy = oy + np.random.randint(4, half - 4)
        cx = ox + np.random.randint(4, half - 4)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 12.0)
        xs[i] += blob[..., None] * np.random.uniform(0.8, 1.2, size=3)
    return xs, ys.astype("int32")


def inverted_residual(x, expansion, out_channels, stride, block_id):
    in_channels = x.shape[-1]
    prefix = f"block_{block_id}_"
    shortcut = x

    if expansion != 1:
        x = layers.Conv2D(in_channels * expansion, 1, padding="same", use_bias=False,
                          name=prefix + "expand")(x)
        x = layers.BatchNormalization(name=prefix + "expand_bn")(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu6")(x)

    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_bn")(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu6")(x)

    # linear bottleneck: no activation after projection
    x = layers.Conv2D(out_channels, 1, padding="same", use_bias=False,
                      name=prefix + "project")(x)
    x = layers.BatchNormalization(name=prefix + "project_bn")(x)

    if stride == 1 and in_channels == out_channels:
        x = layers.Add(name=prefix + "add")([shortcut, x])
    return x


def build_mobilenet(input_shape=(IMG_SIZE, IMG_SIZE, 3), alpha=WIDTH_MULT,
                    num_classes=NUM_CLASSES):
    inputs = keras.Input(shape=input_shape)
    stem_ch = make_divisible(32 * alpha)
    x = layers.Conv2D(stem_ch, 3, strides=1, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)

    block_id = 0
    for t, c, n, s in BLOCK_SPEC:
        out_ch = make_divisible(c * alpha)
        for i in range(n):
            stride = s if i == 0 else 1
            x = inverted_residual(x, t, out_ch, stride, block_id)
            block_id += 1

    last_ch = make_divisible(256 * alpha)
    x = layers.Conv2D(last_ch, 1, use_bias=False, name="head_conv")(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.ReLU(6.0, name="head_relu6")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="logits")(x)
    return keras.Model(inputs, outputs, name=f"mobilenetv2_a{alpha}")


def to_dataset(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        # no flips: a horizontal flip would change which quadrant the blob is in
        ds = ds.shuffle(len(x), seed=SEED)
        ds = ds.map(lambda im, lb: (im + tf.random.normal(tf.shape(im), stddev=0.02), lb),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def count_params_by_type(model):
    totals = {}
    for layer in model.layers:
        kind = type(layer).__name__
        totals[kind] = totals.get(kind, 0) + layer.count_params()
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    x_train, y_train = make_blob_images(N_TRAIN)
    x_val, y_val = make_blob_images(N_VAL)
    train_ds = to_dataset(x_train, y_train, training=True)
    val_ds = to_dataset(x_val, y_val, training=False)

    model = build_mobilenet()
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"{model.name}: {model.count_params():,} params")
    for kind, n in count_params_by_type(model).items():
        if n:
            print(f"  {kind:<22s}{n:>8,d}")

    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    final = {k: round(v[-1], 4) for k, v in history.history.items()}
    print("final metrics:", final)

    preds = model.predict(x_val[:8], verbose=0).argmax(axis=-1)
    print("pred:", preds.tolist())
    print("true:", y_val[:8].tolist())
