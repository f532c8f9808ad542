"""Kim (2014) CNN for sentence classification with tf.keras.

Raw strings -> TextVectorization -> Embedding -> parallel Conv1D branches with
filter widths (3, 4, 5) -> max-over-time pooling -> concat -> dropout -> softmax.
Synthetic "reviews" are generated from small word lists so nothing is downloaded.
"""
import random

import numpy as np
import tensorflow as tf

SEED = 123
MAX_TOKENS = 5000
SEQ_LEN = 50
EMBED_DIM = 64
FILTER_SIZES = (3, 4, 5)
NUM_FILTERS = 64
DROPOUT = 0.5
BATCH_SIZE = 64
EPOCHS = 2
CLASS_NAMES = ["negative", "neutral", "positive"]

POS_WORDS = "great excellent wonderful loved superb brilliant delightful fun".split()
NEG_WORDS = "awful terrible boring hated dull worst painful mess".split()
NEU_WORDS = "okay average fine decent plain standard typical moderate".split()
FILLER = ("the movie film plot actor acting was is a an and but it this that very "
          "really quite story scene ending cast director script music").split()


def fake_review(label, rng):
    cue = [NEG_WORDS, NEU_WORDS, POS_WORDS][label]
    n = rng.randint(8, SEQ_LEN - 5)
    words = [rng.choice(FILLER) for _ in range(n)]
    for _ in range(rng.randint(1, 4)):
        words.insert(rng.randint(0, len(words)), rng.choice(cue))
    return " ".join(words)


def make_split(n, rng):
    labels = [rng.randrange(len(CLASS_NAMES)) for _ in range(n)]
    texts = [fake_review(y, rng) for y in labels]
    return np.array(texts), np.array(labels, dtype="int32")


def build_text_cnn(vocab_size, num_classes):
    inputs = tf.keras.Input(shape=(SEQ_LEN,), dtype="int64", name="token_ids")
    emb = tf.keras.layers.Embedding(vocab_size, EMBED_DIM, name="embedding")(inputs)
    emb = tf.keras.layers.SpatialDropout1D(0.1)(emb)

    pooled = []
    for width in FILTER_SIZES:
        conv = tf.keras.layers.Conv1D(NUM_FILTERS, kernel_size=width, activation="relu",
                                      padding="valid", name=f"conv_w{width}")(emb)
        # max-over-time pooling: (batch, SEQ_LEN - width + 1, F) -> (batch, F)
        pool = tf.keras.layers.GlobalMaxPooling1D(name=f"maxpool_w{width}")(conv)
        pooled.append(pool)

    h = tf.keras.layers.Concatenate(name="concat")(pooled)  # (batch, F * len(FILTER_SIZES))
    h = tf.keras.layers.Dropout(DROPOUT)(h)
    outputs = tf.keras.layers.Dense(
        num_classes, activation="softmax",
        kernel_constraint=tf.keras.constraints.MaxNorm(3.0),  # l2 constraint from the paper
        name="classifier")(h)
    return tf.keras.Model(inputs, outputs, name="kim_text_cnn")


def main():
    rng = random.Random(SEED)
    tf.keras.utils.set_random_seed(SEED)

    x_train, y_train = make_split(1200, rng)
    x_val, y_val = make_split(300, rng)
    print("sample:", x_train[0][:80], "->", CLASS_NAMES[y_train[0]])

    vectorizer = tf.keras.layers.TextVectorization(
        max_tokens=MAX_TOKENS, output_mode="int", output_sequence_length=SEQ_LEN)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(x_train).batch(256))
    vocab = vectorizer.get_vocabulary()
    print("vocab size:", len(vocab), "top tokens:", [str(t) for t in vocab[2:10]])

    def vectorize(text, label):
        return vectorizer(text), label

    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(len(x_train), seed=SEED)
                .batch(BATCH_SIZE)
                .map(vectorize, num_parallel_calls=tf.data.AUTOTUNE)
                .cache()
                .prefetch(tf.data.AUTOTUNE))
    val_ds = (tf.data.Dataset.from_tensor_slices((x_val, y_val))
              .batch(BATCH_SIZE)
              .map(vectorize)
              .prefetch(tf.data.AUTOTUNE))

    model = build_text_cnn(len(vocab), len(CLASS_NAMES))
    model.compile(optimizer=tf.keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2,
              callbacks=[tf.keras.callbacks.EarlyStopping(patience=1,
                                                          restore_best_weights=True)])

    # end-to-end model that takes raw strings, handy for serving
    raw_in = tf.keras.Input(shape=(1,), dtype="string")
    ids = vectorizer(raw_in)
    end_to_end = tf.keras.Model(raw_in, model(ids))
    probe = ["the acting was superb and the ending wonderful",
             "this film was a boring mess",
             "an average plot and a fine cast"]
    probs = end_to_end(tf.constant(probe)[:, tf.newaxis]).numpy()
    for text, p in zip(probe, probs):
        print(f"{text[:45]:<45} -> {CLASS_NAMES[int(np.argmax(p))]} ({p.max():.2f})")


if __name__ == "__main__":
    main()
