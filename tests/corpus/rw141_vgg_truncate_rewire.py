"""Cut VGG16 after block3 and re-wire its layers onto a new grayscale input,
inserting BatchNorm after every pooling layer. Trained with a hand-written
tf.function loop."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

H = W = 40
N_CLASSES = 4
BATCH = 16
EPOCHS = 2
STEPS_PER_EPOCH = 5
CUT_AT = "block3_pool"

tf.random.set_seed(0)
np.random.seed(0)


def stripes_dataset(n):
    """Grayscale images of stripes at one of four orientations."""
    ys = np.random.randint(0, N_CLASSES, n)
    r, c = np.mgrid[0:H, 0:W].astype("float32")
    angle_map = {0: (1, 0), 1: (0, 1), 2: (1, 1), 3: (1, -1)}
    xs = np.zeros((n, H, W, 1), "float32")
    for i, y in enumerate(ys):
        a, b = angle_map[int(y)]
        phase = np.random.uniform(0, np.pi)
        xs[i, ..., 0] = np.sin(0.6 * (a * r + b * c) + phase)
    xs += np.random.normal(scale=0.4, size=xs.shape).astype("float32")
    return xs, ys


def truncated_layers(model, last_name):
    """Return model.layers[1:k+1] where k is the index of `last_name`."""
    idx = [i for i, l in enumerate(model.layers) if l.name == last_name][0]
    return model.layers[1 : idx + 1]


def rewire(vgg_layers):
    gray = keras.Input((H, W, 1), name="gray")
    x = layers.Concatenate(name="to_rgb")([gray, gray, gray])
    x = layers.Rescaling(2.0, name="rescale")(x)
    for layer in vgg_layers:
        layer.trainable = False  # reused weights stay frozen
        x = layer(x)
        if isinstance(layer, layers.MaxPooling2D):
            x = layers.BatchNormalization(name=f"{layer.name}_bn")(x)
    x = layers.GlobalMaxPooling2D(name="gmp")(x)
    x = layers.Dense(64, activation="relu", name="fc")(x)
    out = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(gray, out, name="vgg_gray_b3")


vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(64, 64, 3))
kept = truncated_layers(vgg, CUT_AT)
print("kept layers:", [l.name for l in kept])
model = rewire(kept)
model.summary()

# sanity: the reused conv kernels are literally the same variables
shared = model.get_layer("block1_conv1").kernel
assert shared is vgg.get_layer("block1_conv1").kernel
print("trainable vars:", [v.path for v in model.trainable_variables])

x_train, y_train = stripes_dataset(BATCH * STEPS_PER_EPOCH)
x_test, y_test = stripes_dataset(64)
train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(256).batch(BATCH, drop_remainder=True))

loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
train_acc = keras.metrics.SparseCategoricalAccuracy()
loss_tracker = keras.metrics.Mean()


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)
        loss = loss_fn(yb, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_acc.update_state(yb, logits)
    loss_tracker.update_state(loss)
    return loss


@tf.function
def predict_step(xb):
    return tf.argmax(model(xb, training=False), axis=-1, output_type=tf.int32)


for epoch in range(EPOCHS):
    train_acc.reset_state()
    loss_tracker.reset_state()
    for step, (xb, yb) in enumerate(train_ds):
        train_step(xb, yb)
    print(f"epoch {epoch + 1}: loss={float(loss_tracker.result()):.4f} "
          f"acc={float(train_acc.result()):.3f}")

preds = np.concatenate([predict_step(x_test[i:i + 32]).numpy() for i in range(0, len(x_test), 32)])
print("test accuracy:", float((preds == y_test).mean()))

# per-class confusion counts without sklearn
conf = np.zeros((N_CLASSES, N_CLASSES), int)
np.add.at(conf, (y_test, preds), 1)
print(conf)
