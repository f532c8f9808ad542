"""Grad-CAM class activation heatmaps (adapted from the keras.io example).

Part 1 uses a full Xception (include_top=True, random weights) exactly like the
keras.io recipe: a sub-model maps the input to (last conv activations,
predictions) and we take gradients of the top class score w.r.t. the conv map.

Part 2 handles the annoying case where the backbone is *nested* inside a
transfer-learning model, so `model.get_layer("block14_sepconv2_act")` does not
work directly -- we rebuild the graph around the inner conv layer instead.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops

IMG_SIZE = (128, 128)
LAST_CONV_LAYER_NAME = "block14_sepconv2_act"
NUM_CLASSES = 8


def get_img_array(seed, size=IMG_SIZE):
    """Stand-in for keras.utils.load_img + img_to_array: a blob on noise."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = rng.integers(h // 4, 3 * h // 4), rng.integers(w // 4, 3 * w // 4)
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (h / 8) ** 2))
    img = rng.uniform(0, 60, size=(h, w, 3)) + 190 * blob[..., None]
    return np.expand_dims(img.astype("float32"), axis=0)  # (1, h, w, 3)


def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None):
    # First, create a model that maps the input image to the activations
    # of the last conv layer as well as the output predictions
    grad_model = keras.models.Model(
        model.inputs, [model.get_layer(last_conv_layer_name).output, model.output]
    )

    # Then, compute the gradient of the top predicted class for our input image
    # with respect to the activations of the last conv layer
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = int(tf.argmax(preds[0]))
        class_channel = preds[:, pred_index]

    grads = tape.gradient(class_channel, last_conv_layer_output)

    # mean intensity of the gradient over a specific feature map channel
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))

    # multiply each channel by "how important this channel is"
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)

    # normalize between 0 & 1 for visualization
    heatmap = tf.maximum(heatmap, 0) / (tf.math.reduce_max(heatmap) + 1e-8)
    return heatmap.numpy()


def overlay_heatmap(img, heatmap, alpha=0.4):
    """Resize heatmap to image size and blend (no matplotlib colormap needed)."""
    heatmap = np.uint8(255 * heatmap)
    heatmap = tf.image.resize(heatmap[..., None], img.shape[:2]).numpy()
    # cheap "jet"-ish colouring: red = hot, blue = cold
    colored = np.concatenate([heatmap, np.zeros_like(heatmap), 255 - heatmap], axis=-1)
    superimposed = colored * alpha + img
    return np.clip(superimposed, 0, 255).astype("uint8")


def gradcam_nested(model, backbone_name, conv_layer_name, head_layer_names, img_array):
    """Grad-CAM when the conv layer lives inside a nested backbone Model."""
    backbone = model.get_layer(backbone_name)
    conv_model = keras.Model(backbone.inputs, backbone.get_layer(conv_layer_name).output)

    # the remaining head, re-applied on top of the conv activations
    head_input = keras.Input(shape=conv_model.output.shape[1:])
    x = head_input
    for name in head_layer_names:
        x = model.get_layer(name)(x)
    head_model = keras.Model(head_input, x)

    with tf.GradientTape() as tape:
        conv_out = conv_model(img_array)
        tape.watch(conv_out)
        preds = head_model(conv_out)
        top_class = ops.argmax(preds[0])
        top_score = ops.take(preds, top_class, axis=1)
    grads = tape.gradient(top_score, conv_out)

    weights = ops.mean(grads, axis=(1, 2), keepdims=True)  # (1, 1, 1, C)
    cam = ops.sum(weights * conv_out, axis=-1)[0]
    cam = ops.relu(cam)
    cam = cam / (ops.max(cam) + 1e-8)
    return ops.convert_to_numpy(cam), int(top_class)


def main():
    # ---------------- part 1: flat Xception ----------------
    model = keras.applications.Xception(
        weights=None, include_top=True, input_shape=IMG_SIZE + (3,), classes=NUM_CLASSES
    )
    # Remove last layer's softmax, as in the keras.io example
    model.layers[-1].activation = None

    img = get_img_array(seed=0)
    img_array = keras.applications.xception.preprocess_input(img.copy())

    preds = model.predict(img_array, verbose=0)
    print("raw logits shape:", preds.shape, "top class:", int(np.argmax(preds[0])))

    heatmap = make_gradcam_heatmap(img_array, model, LAST_CONV_LAYER_NAME)
    print("heatmap shape:", heatmap.shape, "min/max: %.3f/%.3f" % (heatmap.min(), heatmap.max()))

    overlay = overlay_heatmap(img[0], heatmap)
    print("overlay:", overlay.shape, overlay.dtype)

    # explain a non-top class too
    second = int(np.argsort(preds[0])[-2])
    heatmap2 = make_gradcam_heatmap(img_array, model, LAST_CONV_LAYER_NAME, pred_index=second)
    print(f"class {second} heatmap mean: {heatmap2.mean():.3f}")

    # ---------------- part 2: nested backbone ----------------
    base = keras.applications.Xception(weights=None, include_top=False, input_shape=IMG_SIZE + (3,))
    base.trainable = False
    inputs = keras.Input(shape=IMG_SIZE + (3,))
    x = keras.applications.xception.preprocess_input(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(0.3, name="head_dropout")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="head_dense")(x)
    clf = keras.Model(inputs, outputs)

    try:
        clf.get_layer(LAST_CONV_LAYER_NAME)
    except ValueError as err:
        print("expected failure on nested model:", str(err).splitlines()[0][:80])

    batch = np.concatenate([get_img_array(seed=s) for s in range(3)], axis=0)
    batch_pre = keras.applications.xception.preprocess_input(batch.copy())
    for i in range(batch.shape[0]):
        cam, cls = gradcam_nested(
            clf,
            backbone_name=base.name,
            conv_layer_name=LAST_CONV_LAYER_NAME,
            head_layer_names=["gap", "head_dropout", "head_dense"],
            img_array=batch_pre[i : i + 1],
        )
        peak = tuple(int(v) for v in np.unravel_index(np.argmax(cam), cam.shape))
        print(f"image {i}: class={cls} cam={cam.shape} peak cell={peak}")


if __name__ == "__main__":
    main()
