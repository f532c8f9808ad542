import numpy as np
import tensorflow as tf
import keras
from keras import layers
from tensorflow.keras.layers import Conv2D, BatchNormalization, ReLU

IMG = 48
N_CLASSES = 4
BATCH = 8
LAST_CONV = "last_conv"

np.random.seed(7)
tf.random.set_seed(7)


# ---------------------------------------------------------------------------
# data: png bytes in memory, as if read from a zip of pngs
# ---------------------------------------------------------------------------
def synth_png_dataset(n):
    images, labels = [], []
    for i in range(n):
        y = np.random.randint(N_CLASSES)
        arr = np.random.randint(0, 40, size=(IMG + 8, IMG + 8, 3), dtype=np.uint8)
        # class = which quadrant has the bright patch
        r0 = 4 + (y // 2) * (IMG // 2)
        c0 = 4 + (y % 2) * (IMG // 2)
        arr[r0:r0 + 14, c0:c0 + 14, :] = 200
        images.append(tf.io.encode_png(arr).numpy())
        labels.append(y)
    return images, np.asarray(labels, "int32")


def load_png(raw, label):
    img = tf.image.decode_png(raw, channels=3)
    img = tf.image.convert_image_dtype(img, tf.float32)  # -> [0,1]
    img = tf.image.resize(img, (IMG, IMG))
    return img, label


def train_aug(img, label):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_contrast(img, 0.8, 1.2)
    return tf.clip_by_value(img, 0.0, 1.0), label


def make_ds(raws, labels, train=False):
    ds = tf.data.Dataset.from_tensor_slices((raws, labels)).map(load_png)
    if train:
        ds = ds.shuffle(64).map(train_aug)
    return ds.batch(BATCH).prefetch(2)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
def small_cnn():
    model = keras.Sequential(name="small_cnn")
    model.add(keras.Input((IMG, IMG, 3)))
    for i, f in enumerate([16, 32]):
        model.add(Conv2D(f, 3, padding="same", name=f"conv{i}"))
        model.add(BatchNormalization())
        model.add(ReLU())
        model.add(layers.MaxPool2D())
    model.add(Conv2D(48, 3, padding="same", activation="relu", name=LAST_CONV))
    model.add(layers.GlobalAveragePooling2D(name="gap"))
    model.add(layers.Dense(N_CLASSES, name="logits"))
    return model


# ---------------------------------------------------------------------------
# TTA
# ---------------------------------------------------------------------------
def tta_views(batch):
    views = [batch, tf.image.flip_left_right(batch)]
    # zoomed center crop then back to full res
    crop = tf.image.central_crop(batch, 0.85)
    views.append(tf.image.resize(crop, (IMG, IMG)))
    # small shifts
    for dx in (-3, 3):
        views.append(tf.roll(batch, shift=dx, axis=2))
    return views


def predict_tta(model, ds):
    all_probs = []
    for xb, _ in ds:
        per_view = [tf.nn.softmax(model(v, training=False), axis=-1) for v in tta_views(xb)]
        all_probs.append(tf.reduce_mean(tf.stack(per_view, axis=0), axis=0).numpy())
    return np.concatenate(all_probs, axis=0)


# ---------------------------------------------------------------------------
# Grad-CAM
# ---------------------------------------------------------------------------
def build_gradcam_model(model, layer_name):
    # rebuild the graph functionally so we can grab the intermediate activations
    inp = keras.Input((IMG, IMG, 3))
    x = inp
    conv_out = None
    for layer in model.layers:
        x = layer(x)
        if layer.name == layer_name:
            conv_out = x
    return keras.Model(inp, [conv_out, x])


def grad_cam(grad_model, images, class_idx=None):
    images = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        conv_maps, logits = grad_model(images, training=False)
        if class_idx is None:
            class_idx = tf.argmax(logits, axis=-1)
        score = tf.gather(logits, class_idx, axis=1, batch_dims=1)
    grads = tape.gradient(score, conv_maps)
    weights = tf.reduce_mean(grads, axis=(1, 2))
    cam = tf.einsum("bhwc,bc->bhw", conv_maps, weights)
    cam = tf.nn.relu(cam)
    cam_max = tf.reduce_max(cam, axis=(1, 2), keepdims=True) + 1e-8
    cam = cam / cam_max
    cam = tf.image.resize(cam[..., tf.newaxis], (IMG, IMG))[..., 0]
    return cam.numpy(), class_idx.numpy()


def overlay(img, heat, alpha=0.4):
    # cheap "jet" colormap
    heat_rgb = np.stack([heat, 1.0 - np.abs(heat - 0.5) * 2, 1.0 - heat], axis=-1)
    return np.clip((1 - alpha) * img + alpha * heat_rgb, 0, 1)


if __name__ == "__main__":
    tr_raw, tr_y = synth_png_dataset(40)
    va_raw, va_y = synth_png_dataset(16)
    train_ds = make_ds(tr_raw, tr_y, train=True)
    valid_ds = make_ds(va_raw, va_y)

    model = small_cnn()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(train_ds, epochs=1, verbose=2)

    plain = tf.nn.softmax(model.predict(valid_ds, verbose=0)).numpy()
    tta = predict_tta(model, valid_ds)
    print(f"plain acc: {(plain.argmax(1) == va_y).mean():.3f}  TTA acc: {(tta.argmax(1) == va_y).mean():.3f}")
    print("mean |plain - tta|:", float(np.abs(plain - tta).mean()))

    grad_model = build_gradcam_model(model, LAST_CONV)
    x_vis, y_vis = next(iter(valid_ds))
    cams, picked = grad_cam(grad_model, x_vis[:4])
    for i, (c, p) in enumerate(zip(cams, picked)):
        peak = tuple(int(v) for v in np.unravel_index(c.argmax(), c.shape))
        print(f"sample {i}: true={int(y_vis[i])} pred={p} cam peak at {peak}")

    blended = overlay(x_vis[0].numpy(), cams[0])
    print("overlay:", blended.shape, blended.dtype, round(float(blended.mean()), 4))
