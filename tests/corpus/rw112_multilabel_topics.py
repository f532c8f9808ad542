#!/usr/bin/env python
"""Multi-label topic tagging of short news-ish snippets.

A snippet can mention several topics at once (e.g. "economy" + "tech"),
so the output layer uses sigmoids and binary cross-entropy. Tokenisation
happens inside the tf.data pipeline with a TextVectorization layer.
"""
import argparse
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers

TOPIC_PHRASES = {
    "economy": ["interest rates rose", "the stock market fell", "inflation is cooling",
                "the central bank warned", "unemployment dropped", "budget deficit widened"],
    "sports": ["the home team won", "a new world record", "coach was fired",
               "fans filled the arena", "the playoffs begin", "injury sidelines star"],
    "tech": ["a new smartphone launched", "the chip shortage eased", "an ai startup raised funds",
             "security flaw found in browser", "cloud outage hit users", "robots in warehouses"],
    "health": ["flu cases are rising", "a new vaccine trial", "hospitals face staff shortages",
               "doctors recommend more sleep", "study links diet to heart disease"],
    "climate": ["record heat this summer", "sea levels keep rising", "wildfire smoke spread",
                "solar capacity doubled", "glaciers are melting fast"],
}
CONNECTORS = ["while", "and", "as", "meanwhile", "after", "because"]
TOPICS = sorted(TOPIC_PHRASES)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n-docs", type=int, default=500)
    p.add_argument("--max-tokens", type=int, default=2000)
    p.add_argument("--seq-len", type=int, default=32)
    p.add_argument("--embed-dim", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=2024)
    return p.parse_args()


def synth_doc(rng):
    k = rng.choices([1, 2, 3], weights=[0.5, 0.35, 0.15])[0]
    chosen = rng.sample(TOPICS, k)
    phrases = [rng.choice(TOPIC_PHRASES[t]) for t in chosen]
    text = phrases[0]
    for ph in phrases[1:]:
        text += f" {rng.choice(CONNECTORS)} {ph}"
    label = np.array([1.0 if t in chosen else 0.0 for t in TOPICS], dtype=np.float32)
    return text, label


def make_raw_data(n, seed):
    rng = random.Random(seed)
    docs = [synth_doc(rng) for _ in range(n)]
    texts = np.array([d[0] for d in docs])
    labels = np.stack([d[1] for d in docs])
    return texts, labels


def build_pipeline(texts, labels, vectorizer, batch_size, training):
    ds = tf.data.Dataset.from_tensor_slices((texts, labels))
    if training:
        ds = ds.shuffle(len(texts), reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    # vectorise on the fly: strings in, int ids out
    ds = ds.map(lambda x, y: (vectorizer(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.cache().prefetch(tf.data.AUTOTUNE) if not training else ds.prefetch(tf.data.AUTOTUNE)


def build_model(vocab_size, seq_len, embed_dim, n_labels):
    ids = keras.Input(shape=(seq_len,), dtype="int64", name="token_ids")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(ids)
    pooled = [layers.GlobalAveragePooling1D()(x)]
    conv = layers.Conv1D(32, 3, padding="same", activation="relu")(x)
    pooled.append(layers.GlobalMaxPooling1D()(conv))
    x = layers.Concatenate()(pooled)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    out = layers.Dense(n_labels, activation="sigmoid", name="topics")(x)
    return keras.Model(ids, out, name="multilabel_topics")


def per_label_f1(y_true, y_prob, threshold=0.5):
    y_pred = (y_prob >= threshold).astype(np.float32)
    tp = (y_pred * y_true).sum(0)
    fp = (y_pred * (1 - y_true)).sum(0)
    fn = ((1 - y_pred) * y_true).sum(0)
    return 2 * tp / np.maximum(2 * tp + fp + fn, 1e-9)


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)

    texts, labels = make_raw_data(args.n_docs, args.seed)
    print("label frequency:", dict(zip(TOPICS, labels.sum(0).astype(int))))
    print("example:", texts[0], "->", [t for t, v in zip(TOPICS, labels[0]) if v])

    n_train = int(0.8 * len(texts))
    vectorizer = layers.TextVectorization(
        max_tokens=args.max_tokens,
        output_mode="int",
        output_sequence_length=args.seq_len,
        standardize="lower_and_strip_punctuation",
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts[:n_train]).batch(64))
    vocab = vectorizer.get_vocabulary()
    print(f"vocab size {len(vocab)}; first entries: {vocab[:8]}")

    train_ds = build_pipeline(texts[:n_train], labels[:n_train], vectorizer, args.batch_size, True)
    val_ds = build_pipeline(texts[n_train:], labels[n_train:], vectorizer, args.batch_size, False)

    model = build_model(len(vocab), args.seq_len, args.embed_dim, len(TOPICS))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=3e-3),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[
            keras.metrics.BinaryAccuracy(name="bin_acc"),
            keras.metrics.AUC(multi_label=True, num_labels=len(TOPICS), name="auc"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
        ],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, verbose=2)

    y_val = labels[n_train:]
    probs = model.predict(val_ds, verbose=0)
    for thr in (0.3, 0.5):
        f1 = per_label_f1(y_val, probs, thr)
        print(f"thr={thr}: " + ", ".join(f"{t}={v:.2f}" for t, v in zip(TOPICS, f1))
              + f" | macro={f1.mean():.2f}")

    # end-to-end model that accepts raw strings
    raw_in = keras.Input(shape=(), dtype="string", name="text")
    e2e = keras.Model(raw_in, model(vectorizer(raw_in)), name="e2e_topics")
    samples = tf.constant([
        "inflation is cooling while a new smartphone launched",
        "record heat this summer and flu cases are rising",
        "the home team won",
    ])
    for s, p in zip(samples.numpy(), e2e.predict(samples, verbose=0)):
        tags = [f"{t}:{v:.2f}" for t, v in zip(TOPICS, p) if v > 0.3]
        print(f"{s.decode():55s} -> {tags}")


if __name__ == "__main__":
    main()
