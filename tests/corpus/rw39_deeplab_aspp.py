"""DeepLabV3+ style multiclass segmentation, small enough for a laptop.

The keras.io example uses ResNet50 and taps conv4_block6_2_relu (stride 16)
and conv2_block3_2_relu (stride 4). ResNet50 takes forever to trace on CPU,
so here's a tiny residual backbone with the same two taps, named the same way.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMAGE_SIZE = 64
NUM_CLASSES = 5
BATCH_SIZE = 2


def convolution_block(block_input, num_filters=256, kernel_size=3, dilation_rate=1, use_bias=False):
    x = layers.Conv2D(
        num_filters,
        kernel_size=kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
    )(block_input)
    x = layers.BatchNormalization()(x)
    return keras.ops.nn.relu(x)


def DilatedSpatialPyramidPooling(dspp_input, filters=64):
    dims = dspp_input.shape
    x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)
    x = convolution_block(x, filters, kernel_size=1, use_bias=True)
    out_pool = layers.UpSampling2D(
        size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]),
        interpolation="bilinear",
    )(x)

    out_1 = convolution_block(dspp_input, filters, kernel_size=1, dilation_rate=1)
    out_6 = convolution_block(dspp_input, filters, kernel_size=3, dilation_rate=6)
    out_12 = convolution_block(dspp_input, filters, kernel_size=3, dilation_rate=12)
    out_18 = convolution_block(dspp_input, filters, kernel_size=3, dilation_rate=18)

    x = layers.Concatenate(axis=-1)([out_pool, out_1, out_6, out_12, out_18])
    output = convolution_block(x, filters, kernel_size=1)
    return output


def res_block(x, filters, stride, name):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=name + "_1_conv")(x)
    y = layers.BatchNormalization(name=name + "_1_bn")(y)
    y = layers.Activation("relu", name=name + "_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name + "_2_conv")(y)
    y = layers.BatchNormalization(name=name + "_2_bn")(y)
    y = layers.Activation("relu", name=name + "_2_relu")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, name=name + "_0_conv")(shortcut)
    return layers.Add(name=name + "_add")([y, shortcut])


def tiny_resnet(input_tensor):
    x = layers.Conv2D(32, 7, strides=2, padding="same", name="conv1_conv")(input_tensor)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_pool")(x)  # /4
    x = res_block(x, 32, 1, "conv2_block3")
    x = res_block(x, 64, 2, "conv3_block4")  # /8
    x = res_block(x, 96, 2, "conv4_block6")  # /16
    return keras.Model(input_tensor, x, name="tiny_resnet")


def DeeplabV3Plus(image_size, num_classes):
    model_input = keras.Input(shape=(image_size, image_size, 3))
    preprocessed = layers.Rescaling(1.0 / 127.5, offset=-1.0)(model_input)
    resnet50 = tiny_resnet(preprocessed)
    x = resnet50.get_layer("conv4_block6_2_relu").output
    x = DilatedSpatialPyramidPooling(x)

    input_a = layers.UpSampling2D(
        size=(image_size // 4 // x.shape[1], image_size // 4 // x.shape[2]),
        interpolation="bilinear",
    )(x)
    input_b = resnet50.get_layer("conv2_block3_2_relu").output
    input_b = convolution_block(input_b, num_filters=24, kernel_size=1)

    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x, num_filters=64)
    x = convolution_block(x, num_filters=64)
    x = layers.UpSampling2D(
        size=(image_size // x.shape[1], image_size // x.shape[2]),
        interpolation="bilinear",
    )(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output)


# ---- synthetic data: random circles/squares painted with class ids ----
def random_scene(rng):
    img = rng.uniform(0, 60, (IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype="int32")
    yy, xx = np.ogrid[:IMAGE_SIZE, :IMAGE_SIZE]
    for _ in range(rng.integers(1, 4)):
        cls = rng.integers(1, NUM_CLASSES)
        cx, cy, r = rng.integers(10, 54), rng.integers(10, 54), rng.integers(5, 15)
        region = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
        mask[region] = cls
        img[region] = 50.0 * cls
    return img, mask


rng = np.random.default_rng(0)
pairs = [random_scene(rng) for _ in range(8)]
images = np.stack([p[0] for p in pairs])
masks = np.stack([p[1] for p in pairs])[..., None]


def load_pair(image, mask):
    image = tf.image.random_brightness(image, 10.0)
    return image, mask


dataset = (
    tf.data.Dataset.from_tensor_slices((images, masks))
    .map(load_pair)
    .batch(BATCH_SIZE, drop_remainder=True)
)
print("dataset element spec:", dataset.element_spec)

model = DeeplabV3Plus(image_size=IMAGE_SIZE, num_classes=NUM_CLASSES)
print("params:", model.count_params())
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=loss,
    metrics=["accuracy"],
)
history = model.fit(dataset.take(3), epochs=1)


def infer(model, image_tensor):
    predictions = model.predict(np.expand_dims(image_tensor, axis=0), verbose=0)
    predictions = np.squeeze(predictions)
    predictions = np.argmax(predictions, axis=2)
    return predictions


def decode_segmentation_masks(mask, colormap, n_classes):
    r = np.zeros_like(mask).astype(np.uint8)
    g = np.zeros_like(mask).astype(np.uint8)
    b = np.zeros_like(mask).astype(np.uint8)
    for l in range(0, n_classes):
        idx = mask == l
        r[idx] = colormap[l, 0]
        g[idx] = colormap[l, 1]
        b[idx] = colormap[l, 2]
    return np.stack([r, g, b], axis=2)


colormap = rng.integers(0, 255, (NUM_CLASSES, 3))
pred_mask = infer(model, images[0])
rgb = decode_segmentation_masks(pred_mask, colormap, NUM_CLASSES)
print("pred mask:", pred_mask.shape, "colored:", rgb.shape)

# mean IoU by hand
miou = keras.metrics.MeanIoU(num_classes=NUM_CLASSES)
logits = model.predict(images, verbose=0)
miou.update_state(masks[..., 0], np.argmax(logits, -1))
print("mIoU (untrained, expect low): %.3f" % float(miou.result()))
