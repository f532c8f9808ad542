"""Visual Question Answering with a Stacked Attention Network (SAN).

Yang et al. 2016: the question vector queries a grid of image region
features; the attended visual vector is added back to the query and the
process repeats for several "hops". Answering is treated as classification
over the K most frequent answers, as in most VQA v2 baselines.

Toy CLEVR-like data: images contain coloured blocks in a 2x2 layout and the
questions ask about the colour at a position or count of a colour.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

cfg = dict(
    img_size=48,
    max_q_len=8,
    word_dim=48,
    q_units=64,
    att_dim=64,
    num_hops=2,
    batch_size=16,
    train_size=96,
    epochs=1,
)

COLORS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0)}
POSITIONS = ["top left", "top right", "bottom left", "bottom right"]


def render_scene(colors, size):
    img = np.zeros((size, size, 3), np.float32)
    h = size // 2
    for k, c in enumerate(colors):
        r, col = divmod(k, 2)
        img[r * h + 4:(r + 1) * h - 4, col * h + 4:(col + 1) * h - 4] = COLORS[c]
    return img


def generate_sample(rnd):
    colors = [rnd.choice(list(COLORS)) for _ in range(4)]
    if rnd.random() < 0.5:
        pos = rnd.randrange(4)
        q = f"what color is the {POSITIONS[pos]} block"
        a = colors[pos]
    else:
        c = rnd.choice(list(COLORS))
        q = f"how many {c} blocks are there"
        a = str(colors.count(c))
    return render_scene(colors, cfg["img_size"]), q, a


class StackedAttention(layers.Layer):
    """One SAN hop: u_k = v~_k + u_{k-1}."""

    def __init__(self, att_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att_dim = att_dim
        self.dropout = dropout

    def build(self, input_shape):
        img_shape, q_shape = input_shape
        d_img, d_q = img_shape[-1], q_shape[-1]
        self.W_i = self.add_weight(name="W_i", shape=(d_img, self.att_dim),
                                   initializer="glorot_uniform")
        self.W_q = self.add_weight(name="W_q", shape=(d_q, self.att_dim),
                                   initializer="glorot_uniform")
        self.b_q = self.add_weight(name="b_q", shape=(self.att_dim,), initializer="zeros")
        self.W_p = self.add_weight(name="W_p", shape=(self.att_dim, 1),
                                   initializer="glorot_uniform")
        self.drop = layers.Dropout(self.dropout)
        super().build(input_shape)

    def call(self, inputs, training=None):
        v_i, u = inputs                                   # (B, R, D), (B, D)
        h_img = tf.einsum("brd,da->bra", v_i, self.W_i)
        h_q = tf.matmul(u, self.W_q) + self.b_q           # (B, A)
        h_a = tf.tanh(h_img + h_q[:, None, :])            # broadcast over regions
        h_a = self.drop(h_a, training=training)
        p_i = tf.nn.softmax(tf.squeeze(tf.matmul(h_a, self.W_p), -1), axis=-1)  # (B, R)
        v_att = tf.reduce_sum(p_i[..., None] * v_i, axis=1)
        return v_att + u, p_i

    def get_config(self):
        return {**super().get_config(), "att_dim": self.att_dim, "dropout": self.dropout}


def build_san(vocab_size, num_answers):
    image = keras.Input((cfg["img_size"], cfg["img_size"], 3), name="image")
    question = keras.Input((cfg["max_q_len"],), dtype="int64", name="question")

    # image branch: conv grid -> (B, R, D)
    x = image
    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    grid_h, grid_w = x.shape[1], x.shape[2]
    regions = layers.Reshape((grid_h * grid_w, x.shape[-1]), name="regions")(x)
    regions = layers.Dense(cfg["q_units"] * 2, activation="tanh", name="img_proj")(regions)

    # question branch: embedding + BiLSTM, padding masked
    q = layers.Embedding(vocab_size, cfg["word_dim"], mask_zero=True)(question)
    q_vec = layers.Bidirectional(layers.LSTM(cfg["q_units"]), name="q_encoder")(q)

    u = q_vec
    att_maps = []
    for hop in range(cfg["num_hops"]):
        u, p = StackedAttention(cfg["att_dim"], name=f"san_hop{hop}")([regions, u])
        att_maps.append(layers.Reshape((grid_h, grid_w), name=f"att_map{hop}")(p))

    h = layers.Dropout(0.3)(u)
    answer = layers.Dense(num_answers, activation="softmax", name="answer")(h)
    model = keras.Model([image, question], answer, name="san_vqa")
    # separate model for visualising the attention maps
    viz = keras.Model([image, question], att_maps, name="san_attention")
    return model, viz


def main():
    rnd = random.Random(0)
    tf.random.set_seed(0)
    samples = [generate_sample(rnd) for _ in range(cfg["train_size"])]
    images = np.stack([s[0] for s in samples])
    questions = [s[1] for s in samples]
    answers = [s[2] for s in samples]

    vectorizer = layers.TextVectorization(output_mode="int",
                                          output_sequence_length=cfg["max_q_len"])
    vectorizer.adapt(questions)
    answer_lookup = layers.StringLookup(num_oov_indices=0)
    answer_lookup.adapt(answers)
    answer_vocab = answer_lookup.get_vocabulary()
    print(f"question vocab: {vectorizer.vocabulary_size()}  answers: {answer_vocab}")

    ds = tf.data.Dataset.from_tensor_slices(
        ({"image": images, "question": questions}, answers))
    ds = ds.map(lambda x, y: ({"image": x["image"], "question": vectorizer(x["question"])},
                              answer_lookup(y)),
                num_parallel_calls=tf.data.AUTOTUNE)
    n_val = cfg["train_size"] // 6
    val_ds = ds.take(n_val).batch(cfg["batch_size"])
    train_ds = ds.skip(n_val).shuffle(128).batch(cfg["batch_size"]).prefetch(2)

    model, viz = build_san(vectorizer.vocabulary_size(), len(answer_vocab))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    model.summary(line_length=100)
    model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)

    test_img, test_q, test_a = generate_sample(rnd)
    inputs = {"image": test_img[None], "question": vectorizer([test_q])}
    probs = model.predict(inputs, verbose=0)[0]
    maps = viz.predict(inputs, verbose=0)
    print(f"Q: {test_q}?  GT: {test_a}  pred: {answer_vocab[int(np.argmax(probs))]}")
    print("attention map shapes:", [m.shape for m in maps])


if __name__ == "__main__":
    main()
