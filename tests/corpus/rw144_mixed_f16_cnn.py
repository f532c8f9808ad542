# Mixed precision (mixed_float16) CNN with an explicit LossScaleOptimizer and
# an overridden train_step. Softmax head is forced to float32 for stability.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "img_size": 24,
    "channels": 3,
    "num_classes": 5,
    "n_train": 320,
    "n_val": 64,
    "batch_size": 32,
    "epochs": 2,
    "lr": 1e-3,
    "filters": [16, 32],
}

keras.mixed_precision.set_global_policy("mixed_float16")
print("global policy:", keras.mixed_precision.global_policy().name)


def synth_images(n, size, ch, k, rng):
    """Blobs whose position depends on the class -> learnable but cheap."""
    labels = rng.integers(0, k, size=n)
    imgs = rng.normal(0.0, 0.3, size=(n, size, size, ch)).astype("float32")
    step = size // k
    for i, lab in enumerate(labels):
        r0 = lab * step
        imgs[i, r0:r0 + step, :, lab % ch] += 2.0
    return imgs, labels.astype("int32")


rng = np.random.default_rng(0)
x_tr, y_tr = synth_images(CFG["n_train"], CFG["img_size"], CFG["channels"],
                          CFG["num_classes"], rng)
x_va, y_va = synth_images(CFG["n_val"], CFG["img_size"], CFG["channels"],
                          CFG["num_classes"], rng)


def augment(img, label):
    img = tf.image.random_flip_left_right(img)
    img = img + tf.random.normal(tf.shape(img), stddev=0.05)
    return img, label


train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
            .shuffle(512)
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(CFG["batch_size"])
            .prefetch(2))
val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(CFG["batch_size"])


class ScaledLossModel(keras.Model):
    """train_step that shows the loss-scaling dance explicitly."""

    def __init__(self, backbone, **kw):
        super().__init__(**kw)
        self.backbone = backbone
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")
        self.scale_tracker = keras.metrics.Mean(name="loss_scale")
        self.ce = keras.losses.SparseCategoricalCrossentropy()

    def call(self, x, training=False):
        return self.backbone(x, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc, self.scale_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            probs = self(x, training=True)
            loss = self.ce(y, probs)
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, self.trainable_variables)
        # LossScaleOptimizer unscales and skips the step on inf/nan grads
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, probs)
        self.scale_tracker.update_state(self.optimizer.dynamic_scale)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        probs = self(x, training=False)
        self.loss_tracker.update_state(self.ce(y, probs))
        self.acc.update_state(y, probs)
        return {m.name: m.result() for m in self.metrics[:2]}


def conv_block(x, filters, idx):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{idx}")(x)
    x = layers.BatchNormalization(name=f"bn{idx}")(x)
    x = layers.ReLU(name=f"relu{idx}")(x)
    return layers.MaxPooling2D(name=f"pool{idx}")(x)


def make_backbone():
    inp = keras.Input((CFG["img_size"], CFG["img_size"], CFG["channels"]))
    x = inp
    for i, f in enumerate(CFG["filters"]):
        x = conv_block(x, f, i)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(CFG["num_classes"], name="logits")(x)
    # keep the output in float32 even though compute is float16
    out = layers.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(inp, out, name="backbone")


backbone = make_backbone()
for lyr in backbone.layers[1:6]:
    print(f"{lyr.name:>8s}  compute={lyr.compute_dtype}  variable={lyr.variable_dtype}")
print(f"{'probs':>8s}  compute={backbone.get_layer('probs').compute_dtype}")

model = ScaledLossModel(backbone)
base_opt = keras.optimizers.Adam(CFG["lr"])
opt = keras.mixed_precision.LossScaleOptimizer(base_opt, initial_scale=2.0 ** 12)
model.compile(optimizer=opt)

hist = model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)
print({k: [round(float(v), 4) for v in vals] for k, vals in hist.history.items()})

sample = x_va[:4]
preds = model.predict(sample, verbose=0)
print("pred dtype:", preds.dtype, "argmax:", preds.argmax(-1), "true:", y_va[:4])

keras.mixed_precision.set_global_policy("float32")
