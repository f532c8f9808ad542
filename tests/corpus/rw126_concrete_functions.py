# Playing with tf.function tracing: retracing counts, input_signature,
# concrete functions, and exporting a Keras model through a tf.Module wrapper
# with several serving signatures.
import os
import shutil

import numpy as np
import tensorflow as tf
import keras

EXPORT_PATH = "/tmp/rw126_concrete_export"
IMG = 16
N_CLASSES = 4

trace_log = []


# --- 1. retracing without a signature -------------------------------------
@tf.function
def scaled_sum(x, scale):
    trace_log.append(("scaled_sum", x.shape, type(scale).__name__))
    return tf.reduce_sum(x) * scale


for shape in [(3,), (5,), (3,), (2, 2)]:
    scaled_sum(tf.ones(shape), 2.0)
scaled_sum(tf.ones((3,)), 3.0)        # new python float -> retrace
scaled_sum(tf.ones((3,)), tf.constant(3.0))
scaled_sum(tf.ones((3,)), tf.constant(4.0))  # same tensor spec, no retrace
print(f"scaled_sum traced {len(trace_log)} times")
for entry in trace_log:
    print("   ", entry)


# --- 2. input_signature pins a single graph --------------------------------
@tf.function(input_signature=[
    tf.TensorSpec(shape=[None, None], dtype=tf.float32, name="m"),
    tf.TensorSpec(shape=[], dtype=tf.int32, name="k"),
])
def topk_row_mean(m, k):
    vals, _ = tf.math.top_k(m, k=k)
    return tf.reduce_mean(vals, axis=-1)


for rows, cols in [(2, 6), (7, 9), (1, 4)]:
    out = topk_row_mean(tf.random.uniform((rows, cols)), tf.constant(3))
    print(f"topk_row_mean({rows}x{cols}) -> shape {out.shape}")
print(topk_row_mean.pretty_printed_concrete_signatures())
print("concrete functions:", topk_row_mean.experimental_get_tracing_count())

try:
    topk_row_mean(tf.ones((2, 3), tf.float64), tf.constant(1))
except (TypeError, ValueError) as e:
    print("rejected float64 input:", type(e).__name__)


# --- 3. concrete function objects -------------------------------------------
@tf.function
def gated(x, threshold):
    # tensor-dependent branching must go through tf.where / tf.cond
    gate = tf.cast(x > threshold, x.dtype)
    return tf.cond(
        tf.reduce_any(x > threshold),
        lambda: x * gate,
        lambda: tf.zeros_like(x),
    )


cf = gated.get_concrete_function(
    tf.TensorSpec([None, 8], tf.float32), tf.TensorSpec([], tf.float32)
)
print("concrete inputs:", [t.shape for t in cf.inputs])
print("concrete outputs:", cf.structured_outputs)
graph_ops = sorted({op.type for op in cf.graph.get_operations()})
print("ops in graph:", graph_ops)
print(cf(tf.random.normal((2, 8)), tf.constant(0.5)).numpy().round(2))


# --- 4. a Keras model + module wrapper with multiple signatures -------------
def small_cnn():
    inputs = keras.Input((IMG, IMG, 1))
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    for f in (8, 16):
        x = keras.layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(N_CLASSES)(x))


def fake_images(n):
    labels = np.random.randint(0, N_CLASSES, n)
    imgs = np.random.randint(0, 60, (n, IMG, IMG, 1)).astype("float32")
    # each class brightens a different quadrant
    h = IMG // 2
    for i, c in enumerate(labels):
        r, q = divmod(c, 2)
        imgs[i, r * h:(r + 1) * h, q * h:(q + 1) * h, 0] += 180
    return imgs, labels


class Exporter(tf.Module):
    def __init__(self, model, class_names):
        super().__init__()
        self.model = model
        self.class_names = tf.constant(class_names)

    @tf.function(input_signature=[tf.TensorSpec([None, IMG, IMG, 1], tf.float32)])
    def logits(self, images):
        return {"logits": self.model(images, training=False)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def from_png_bytes(self, pngs):
        def decode(b):
            img = tf.io.decode_png(b, channels=1)
            img = tf.image.resize(img, (IMG, IMG))
            return tf.cast(img, tf.float32)
        imgs = tf.map_fn(decode, pngs, fn_output_signature=tf.TensorSpec([IMG, IMG, 1], tf.float32))
        probs = tf.nn.softmax(self.model(imgs, training=False))
        idx = tf.argmax(probs, axis=-1)
        return {"label": tf.gather(self.class_names, idx), "confidence": tf.reduce_max(probs, -1)}


x, y = fake_images(256)
model = small_cnn()
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=2, verbose=2)

exporter = Exporter(model, ["top_left", "top_right", "bottom_left", "bottom_right"])
if os.path.isdir(EXPORT_PATH):
    shutil.rmtree(EXPORT_PATH)
tf.saved_model.save(exporter, EXPORT_PATH, signatures={
    "serving_default": exporter.logits,
    "predict_png": exporter.from_png_bytes,
})

loaded = tf.saved_model.load(EXPORT_PATH)
for name, fn in loaded.signatures.items():
    print(name, "->", fn.structured_input_signature[1], list(fn.structured_outputs))

pngs = tf.stack([tf.io.encode_png(tf.cast(img, tf.uint8)) for img in x[:6]])
res = loaded.signatures["predict_png"](pngs=pngs)
for lab, conf, true in zip(res["label"].numpy(), res["confidence"].numpy(), y[:6]):
    print(f"  pred={lab.decode():<13s} conf={conf:.2f} true={true}")

a = loaded.signatures["serving_default"](images=tf.constant(x[:4]))["logits"]
b = model(x[:4], training=False)
print("serving logits match:", np.allclose(a.numpy(), np.asarray(b), atol=1e-5))
