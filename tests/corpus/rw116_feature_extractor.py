# How do I get the output of an intermediate layer in Keras?
#
# In Keras 2 the usual answer was:
#     get_out = K.function([model.layers[0].input], [model.layers[3].output])
# K.function is gone in Keras 3, so the port builds a sub-model with
# model.get_layer(...).output instead.  This script trains a small CNN on
# synthetic "texture" images, then pulls embeddings from a named layer and
# does a nearest-neighbour lookup, plus a multi-output "probe" model.

import numpy as np
import keras
from keras import layers
from tensorflow.keras import backend as K

IMG = 20
CLASSES = ["stripes_h", "stripes_v", "checker", "noise"]
NUM = 240

rng = np.random.default_rng(42)


def texture(kind, size=IMG):
    i, j = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    period = rng.integers(3, 6)
    if kind == "stripes_h":
        img = (i // period) % 2
    elif kind == "stripes_v":
        img = (j // period) % 2
    elif kind == "checker":
        img = ((i // period) + (j // period)) % 2
    else:
        img = rng.random((size, size)) > 0.5
    img = img.astype("float32") + rng.normal(0, 0.15, (size, size))
    return img[..., None]


labels = rng.integers(0, len(CLASSES), NUM)
images = np.stack([texture(CLASSES[k]) for k in labels]).astype("float32")
print("data:", images.shape, np.bincount(labels))

model = keras.Sequential(
    [
        keras.Input(shape=(IMG, IMG, 1)),
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(16, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(32, activation="relu", name="embedding"),
        layers.Dropout(0.2),
        layers.Dense(len(CLASSES), activation="softmax", name="logits"),
    ],
    name="texture_cnn",
)
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(images, labels, epochs=2, batch_size=32, validation_split=0.2, verbose=2)

# --- 1. single intermediate layer -> embedding extractor ---------------------
embedder = keras.Model(
    inputs=model.inputs,
    outputs=model.get_layer("embedding").output,
    name="embedder",
)
emb = embedder.predict(images, batch_size=64, verbose=0)
print("embedding matrix:", emb.shape)

# L2-normalise with the legacy backend helper and compute cosine similarity
emb_n = K.l2_normalize(emb, axis=-1).numpy()
sim = emb_n @ emb_n.T
np.fill_diagonal(sim, -np.inf)
nearest = sim.argmax(axis=1)
nn_acc = np.mean(labels[nearest] == labels)
print(f"1-NN accuracy in embedding space: {nn_acc:.3f}")

for q in range(3):
    top5 = np.argsort(-sim[q])[:5]
    print(f"query {q} ({CLASSES[labels[q]]}): neighbours ->",
          [CLASSES[labels[t]] for t in top5])

# --- 2. several layers at once (the K.function([inp], [l.output for l ...]) idiom)
probe_names = [l.name for l in model.layers if l.name.startswith(("conv", "pool"))]
probe = keras.Model(
    inputs=model.inputs,
    outputs={name: model.get_layer(name).output for name in probe_names},
)
acts = probe(images[:4], training=False)
for name in probe_names:
    a = K.get_value(acts[name])  # eager tensor -> numpy
    frac_zero = float(np.mean(a == 0))
    print(f"{name:6s} shape={tuple(a.shape)} mean={a.mean():.4f} zeros={frac_zero:.2%}")

# --- 3. get_layer by index, and reusing the trained head on custom features ----
head_layer = model.get_layer(index=len(model.layers) - 1)
print("last layer by index:", head_layer.name, head_layer.get_weights()[0].shape)

feat_in = keras.Input(shape=(32,), name="emb_in")
head_only = keras.Model(feat_in, head_layer(feat_in), name="head_only")
probs_via_head = head_only.predict(emb[:6], verbose=0)
probs_full = model.predict(images[:6], verbose=0)
print("head(embedder(x)) == model(x):", np.allclose(probs_via_head, probs_full, atol=1e-5))

# per-class centroids, kind of a poor man's prototype classifier
centroids = np.stack([emb_n[labels == c].mean(axis=0) for c in range(len(CLASSES))])
proto_pred = np.argmax(emb_n @ centroids.T, axis=1)
print(f"prototype classifier accuracy: {np.mean(proto_pred == labels):.3f}")
