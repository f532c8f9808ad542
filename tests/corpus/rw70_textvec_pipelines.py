"""Comparing TextVectorization output modes for text classification.

Same synthetic review corpus, three pipelines:
  * multi_hot bag-of-bigrams  -> logistic-regression-ish Dense model
  * tf_idf bag-of-words        -> small MLP
  * int sequences              -> Embedding + Conv1D

Vectorization is done inside tf.data (ds.map) for training, and then the
vectorizer is glued in front of the trained model for string-in inference.
"""
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(7)

POS_WORDS = ["great", "excellent", "loved", "amazing", "wonderful", "fantastic", "superb"]
NEG_WORDS = ["terrible", "awful", "hated", "boring", "worst", "disappointing", "poor"]
FILLER = ("the movie plot actors film was story really quite very scenes and but it this "
          "director music camera ending script characters dialogue pacing").split()

MAX_TOKENS = 5000
SEQ_LEN = 40
BATCH = 32
AUTOTUNE = tf.data.AUTOTUNE


def fake_review(label):
    n = rng.integers(8, 30)
    words = list(rng.choice(FILLER, size=n))
    sentiment = POS_WORDS if label == 1 else NEG_WORDS
    for _ in range(rng.integers(1, 4)):
        words.insert(rng.integers(0, len(words)), rng.choice(sentiment))
    text = " ".join(words).capitalize() + rng.choice([".", "!", "!!", "..."])
    # sprinkle some html junk, as in scraped IMDB data
    if rng.random() < 0.3:
        text = text.replace(" ", " <br /> ", 1)
    return text


def make_corpus(n):
    labels = rng.integers(0, 2, size=n)
    texts = np.array([fake_review(int(y)) for y in labels])
    return texts, labels.astype("float32")


@keras.utils.register_keras_serializable(package="rw70")
def custom_standardization(text):
    """Lowercase, strip <br /> tags and punctuation."""
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, "<br />", " ")
    return tf.strings.regex_replace(text, f"[{string.punctuation}]", "")


x_train, y_train = make_corpus(640)
x_test, y_test = make_corpus(160)
raw_train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(640, seed=1).batch(BATCH)
raw_test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BATCH)
text_only = raw_train.map(lambda x, y: x)


def make_vectorizer(mode):
    kwargs = dict(max_tokens=MAX_TOKENS, standardize=custom_standardization)
    if mode == "multi_hot":
        kwargs.update(output_mode="multi_hot", ngrams=2)
    elif mode == "tf_idf":
        kwargs.update(output_mode="tf_idf")
    elif mode == "int":
        kwargs.update(output_mode="int", output_sequence_length=SEQ_LEN)
    else:
        raise ValueError(mode)
    vec = keras.layers.TextVectorization(**kwargs, name=f"vec_{mode}")
    vec.adapt(text_only)
    return vec


def bag_model(input_dim, hidden=None):
    model = keras.Sequential(name=f"bag_model_h{hidden}")
    model.add(keras.Input(shape=(input_dim,)))
    if hidden:
        model.add(keras.layers.Dense(hidden, activation="relu"))
        model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model


def conv_model(vocab_size):
    return keras.Sequential([
        keras.Input(shape=(SEQ_LEN,), dtype="int64"),
        keras.layers.Embedding(vocab_size, 32),
        keras.layers.Conv1D(32, 5, padding="same", activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="conv_model")


def run_experiment(mode):
    vec = make_vectorizer(mode)
    vocab_size = vec.vocabulary_size()

    def vectorize(text, label):
        return vec(text), label

    train_ds = raw_train.map(vectorize, num_parallel_calls=AUTOTUNE)
    test_ds = raw_test.map(vectorize, num_parallel_calls=AUTOTUNE)

    for batch_x, _ in train_ds.take(1):
        print(f"[{mode}] vocab={vocab_size} vectorized batch shape={tuple(batch_x.shape)} dtype={batch_x.dtype.name}")

    train_ds = train_ds.cache().prefetch(AUTOTUNE)
    test_ds = test_ds.cache().prefetch(AUTOTUNE)

    if mode == "int":
        model = conv_model(vocab_size)
    else:
        model = bag_model(vocab_size, hidden=16 if mode == "tf_idf" else None)

    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(train_ds, epochs=2, verbose=0)
    loss, acc = model.evaluate(test_ds, verbose=0)
    print(f"[{mode}] test acc={acc:.3f} loss={loss:.3f}")

    # end-to-end model that accepts raw strings
    raw_in = keras.Input(shape=(), dtype="string")
    end_to_end = keras.Model(raw_in, model(vec(raw_in)), name=f"e2e_{mode}")
    return end_to_end, acc


results = {}
e2e_models = {}
for mode in ["multi_hot", "tf_idf", "int"]:
    e2e_models[mode], results[mode] = run_experiment(mode)

best = max(results, key=results.get)
print("best mode:", best, results)

probe = tf.constant(["An amazing film, loved the music!", "Boring <br /> plot, worst acting..."])
print("e2e predictions:", np.round(e2e_models[best].predict(probe, verbose=0).ravel(), 3))

# Inspect the top bigrams learned by the multi_hot model's single Dense unit
mh_vec = e2e_models["multi_hot"].get_layer("vec_multi_hot")
dense = [l for l in e2e_models["multi_hot"].layers if isinstance(l, keras.Sequential)][0].layers[-1]
weights = dense.get_weights()[0][:, 0]
vocab = np.array(mh_vec.get_vocabulary())
order = np.argsort(weights)
print("most negative n-grams:", vocab[order[:5]].tolist())
print("most positive n-grams:", vocab[order[-5:]].tolist())
