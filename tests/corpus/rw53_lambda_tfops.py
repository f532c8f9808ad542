"""Using Lambda layers with raw TensorFlow ops inside a functional model.

Collected from a few GitHub issues: splitting a tensor, L2-normalising
embeddings, transposing axes, and why you should pass output_shape or use a
custom Layer when the op is not shape-inferable.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

tf.random.set_seed(0)

SEQ_LEN = 12
EMB_DIM = 16
VOCAB = 100
N_CLASSES = 4


def split_halves(x):
    # split the feature axis into two halves
    return tf.split(x, num_or_size_splits=2, axis=-1)


def l2_normalize(x):
    return tf.math.l2_normalize(x, axis=-1)


def swap_time_features(x):
    return tf.transpose(x, perm=[0, 2, 1])


def build_model():
    tokens = keras.Input(shape=(SEQ_LEN,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, EMB_DIM)(tokens)                     # (B, T, E)

    left, right = layers.Lambda(split_halves, name="split")(x)        # 2 x (B, T, E/2)
    right = layers.Lambda(lambda t: tf.reverse(t, axis=[1]), name="reverse_time")(right)
    x = layers.Concatenate(axis=-1)([left, right])                    # (B, T, E)

    # transpose so the Dense mixes across time instead of features
    xt = layers.Lambda(swap_time_features,
                       output_shape=(EMB_DIM, SEQ_LEN), name="transpose")(x)  # (B, E, T)
    xt = layers.Dense(SEQ_LEN, activation="relu")(xt)
    x = layers.Lambda(swap_time_features, name="transpose_back")(xt)  # (B, T, E)

    pooled = layers.Lambda(lambda t: tf.reduce_max(t, axis=1), name="max_over_time")(x)
    mean = layers.Lambda(lambda t: tf.reduce_mean(t, axis=1), name="mean_over_time")(x)
    feat = layers.Concatenate()([pooled, mean])                       # (B, 2E)
    feat = layers.Lambda(l2_normalize, name="l2norm")(feat)

    # scale by a learned-free temperature, the Lambda `arguments` idiom
    feat = layers.Lambda(lambda t, scale: t * scale, arguments={"scale": 10.0})(feat)
    out = layers.Dense(N_CLASSES, activation="softmax")(feat)
    return keras.Model(tokens, out, name="lambda_ops_model")


model = build_model()
model.summary()

x_train = np.random.randint(0, VOCAB, size=(256, SEQ_LEN)).astype("int32")
y_train = np.random.randint(0, N_CLASSES, size=(256,))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=2)


# The recommended alternative when the Lambda holds state or is hard to serialize
class PairwiseCosine(layers.Layer):
    """Cosine similarity matrix between two sequences: (B, T1, D) x (B, T2, D) -> (B, T1, T2)."""

    def call(self, inputs):
        a, b = inputs
        a = tf.math.l2_normalize(a, axis=-1)
        b = tf.math.l2_normalize(b, axis=-1)
        return tf.matmul(a, b, transpose_b=True)

    def compute_output_shape(self, input_shape):
        sa, sb = input_shape
        return (sa[0], sa[1], sb[1])


q_in = keras.Input(shape=(5, 8))
d_in = keras.Input(shape=(7, 8))
sim = PairwiseCosine()([q_in, d_in])
print("similarity symbolic shape:", sim.shape)
flat = layers.Flatten()(sim)
score = layers.Dense(1, activation="sigmoid")(flat)
matcher = keras.Model([q_in, d_in], score)
matcher.compile("adam", "binary_crossentropy")
q = np.random.rand(64, 5, 8).astype("float32")
d = np.random.rand(64, 7, 8).astype("float32")
lbl = np.random.randint(0, 2, size=(64, 1)).astype("float32")
matcher.fit([q, d], lbl, epochs=1, batch_size=16, verbose=0)
print("matcher predictions:", matcher.predict([q[:3], d[:3]], verbose=0).ravel())
