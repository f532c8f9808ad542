# Deep Dream, stripped down: gradient ascent on activations of a few
# InceptionV3 "mixed" blocks. Random init (weights=None) so nothing is downloaded.
import numpy as np
import tensorflow as tf
import keras
from keras.applications import inception_v3

IMG_SIZE = 75            # smallest size InceptionV3 accepts
STEP = 0.01
ITERATIONS = 4
MAX_LOSS = 15.0

# How much each block contributes to the dream loss
layer_settings = {
    "mixed1": 0.5,
    "mixed3": 1.0,
    "mixed5": 1.5,
    "mixed7": 2.5,
}

base = inception_v3.InceptionV3(weights=None, include_top=False,
                                input_shape=(IMG_SIZE, IMG_SIZE, 3))

all_outputs = dict([(layer.name, layer.output) for layer in base.layers])
print("base has %d layers" % len(all_outputs))
outputs_dict = {name: all_outputs[name] for name in layer_settings}
feature_extractor = keras.Model(inputs=base.inputs, outputs=outputs_dict)

for name, t in outputs_dict.items():
    print(name, t.shape)


def preprocess_image(arr):
    arr = np.expand_dims(arr, axis=0).astype("float32")
    return inception_v3.preprocess_input(arr)


def deprocess_image(x):
    x = x.reshape((x.shape[1], x.shape[2], 3))
    x /= 2.0
    x += 0.5
    x *= 255.0
    return np.clip(x, 0, 255).astype("uint8")


def compute_loss(input_image):
    features = feature_extractor(input_image)
    loss = tf.zeros(shape=())
    for name in features.keys():
        coeff = layer_settings[name]
        activation = features[name]
        # skip border pixels to avoid artifacts
        scaling = tf.reduce_prod(tf.cast(tf.shape(activation), "float32"))
        loss += coeff * tf.reduce_sum(tf.square(activation[:, 1:-1, 1:-1, :])) / scaling
    return loss


@tf.function
def gradient_ascent_step(img, learning_rate):
    with tf.GradientTape() as tape:
        tape.watch(img)
        loss = compute_loss(img)
    grads = tape.gradient(loss, img)
    grads = tf.math.l2_normalize(grads)
    img = img + learning_rate * grads
    return loss, img


raw = np.random.uniform(0, 255, size=(IMG_SIZE, IMG_SIZE, 3))
img = tf.convert_to_tensor(preprocess_image(raw))

losses = []
for i in range(ITERATIONS):
    loss, img = gradient_ascent_step(img, STEP)
    losses.append(float(loss))
    if losses[-1] > MAX_LOSS:
        break
    print("... step %d, loss %.6f" % (i, losses[-1]))

# Same thing again, but with a tf.Variable and explicit assignment
dream = tf.Variable(preprocess_image(raw))
for i in range(2):
    with tf.GradientTape() as tape:
        feats = feature_extractor(dream)
        act = feats["mixed5"]
        loss = tf.reduce_mean(act)
    g = tape.gradient(loss, dream)
    g /= tf.math.reduce_std(g) + 1e-8
    dream.assign_add(g * STEP)
    dream.assign(tf.clip_by_value(dream, -1.0, 1.0))

result = deprocess_image(dream.numpy())
print("dream image:", result.shape, result.dtype, result.min(), result.max())
