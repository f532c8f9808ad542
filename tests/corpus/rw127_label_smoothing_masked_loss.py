"""Sequence tagging with a label-smoothed, padding-masked cross entropy.

* variable-length sequences -> tf.data padded_batch (labels padded with -100)
* custom keras.losses.Loss: sparse labels -> smoothed one-hot, ignore -100
* masked token accuracy metric
* cross-check against keras' built-in CategoricalCrossentropy(label_smoothing)
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IGNORE_INDEX = -100
PAD_TOKEN = 0
NUM_TAGS = 5
VOCAB = 50
SMOOTHING = 0.1
N_TRAIN, N_VAL = 320, 80
BATCH_SIZE = 32

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


def tag_of(tok):
    # deterministic hidden rule, with a context dependency for tag 4
    return int(tok % (NUM_TAGS - 1))


def synth_examples(n):
    out = []
    for _ in range(n):
        length = int(rng.integers(4, 30))
        toks = rng.integers(1, VOCAB, size=length)
        tags = np.array([tag_of(t) for t in toks])
        # tag 4 = "token equals previous token + 1"
        follows = np.concatenate([[False], toks[1:] == toks[:-1] + 1])
        tags[follows] = NUM_TAGS - 1
        out.append((toks.astype(np.int32), tags.astype(np.int32)))
    return out


def as_dataset(examples, shuffle):
    def gen():
        yield from examples

    ds = tf.data.Dataset.from_generator(
        gen,
        output_signature=(tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)),
    )
    if shuffle:
        ds = ds.shuffle(len(examples), seed=1)
    return ds.padded_batch(
        BATCH_SIZE,
        padded_shapes=([None], [None]),
        padding_values=(PAD_TOKEN, IGNORE_INDEX),
    ).prefetch(2)


class SmoothedMaskedXent(keras.losses.Loss):
    def __init__(self, num_classes, smoothing=0.1, ignore_index=IGNORE_INDEX, name="smoothed_xent"):
        # "sum": we normalise by the number of real tokens ourselves. This also
        # plays well with the keras mask coming from Embedding(mask_zero=True),
        # which (for "sum") is just multiplied in as a 0/1 weight.
        super().__init__(name=name, reduction="sum")
        self.num_classes = num_classes
        self.smoothing = smoothing
        self.ignore_index = ignore_index

    def call(self, y_true, y_pred):
        y_true = tf.cast(y_true, tf.int32)
        valid = tf.math.not_equal(y_true, self.ignore_index)
        safe = tf.where(valid, y_true, tf.zeros_like(y_true))
        on = 1.0 - self.smoothing + self.smoothing / self.num_classes
        off = self.smoothing / self.num_classes
        target = tf.one_hot(safe, self.num_classes, on_value=on, off_value=off)
        logp = tf.nn.log_softmax(y_pred, axis=-1)
        per_token = -tf.reduce_sum(target * logp, axis=-1)
        mask = tf.cast(valid, per_token.dtype)
        # token-level mean over every real token in the batch -> [B, T] values
        return per_token * mask / tf.maximum(tf.reduce_sum(mask), 1.0)

    def get_config(self):
        return {"num_classes": self.num_classes, "smoothing": self.smoothing,
                "ignore_index": self.ignore_index, "name": self.name}


class MaskedTokenAccuracy(keras.metrics.Metric):
    def __init__(self, name="tok_acc", **kw):
        super().__init__(name=name, **kw)
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, tf.int32)
        valid = tf.cast(tf.math.not_equal(y_true, IGNORE_INDEX), tf.float32)
        pred = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        hit = tf.cast(tf.equal(pred, y_true), tf.float32) * valid
        self.correct.assign_add(tf.reduce_sum(hit))
        self.total.assign_add(tf.reduce_sum(valid))

    def result(self):
        return self.correct / tf.maximum(self.total, 1.0)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


def build_tagger():
    inp = keras.Input((None,), dtype="int32")
    x = layers.Embedding(VOCAB, 32, mask_zero=True)(inp)
    x = layers.Bidirectional(layers.LSTM(32, return_sequences=True))(x)
    x = layers.Dropout(0.1)(x)
    out = layers.Dense(NUM_TAGS)(x)  # logits
    return keras.Model(inp, out, name="bilstm_tagger")


def verify_against_builtin():
    """Our loss on a fully-valid batch should equal keras' built-in one."""
    logits = tf.random.normal((3, 7, NUM_TAGS))
    labels = tf.random.uniform((3, 7), 0, NUM_TAGS, dtype=tf.int32)
    ours = SmoothedMaskedXent(NUM_TAGS, SMOOTHING)(labels, logits)
    builtin = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=SMOOTHING)(
        tf.one_hot(labels, NUM_TAGS), logits)
    print(f"custom={float(ours):.6f}  builtin={float(builtin):.6f}")
    assert math.isclose(float(ours), float(builtin), rel_tol=1e-5)

    # padding must not move the loss
    padded_logits = tf.concat([logits, 100.0 * tf.random.normal((3, 5, NUM_TAGS))], axis=1)
    padded_labels = tf.concat([labels, tf.fill((3, 5), IGNORE_INDEX)], axis=1)
    with_pad = SmoothedMaskedXent(NUM_TAGS, SMOOTHING)(padded_labels, padded_logits)
    print(f"with garbage padding: {float(with_pad):.6f}")
    assert math.isclose(float(ours), float(with_pad), rel_tol=1e-5)

    # lower bound of smoothed CE = entropy of the smoothed target
    on = 1 - SMOOTHING + SMOOTHING / NUM_TAGS
    off = SMOOTHING / NUM_TAGS
    floor = -(on * math.log(on) + (NUM_TAGS - 1) * off * math.log(off))
    print(f"minimum achievable smoothed loss: {floor:.4f}")
    return floor


def main():
    floor = verify_against_builtin()
    train_ds = as_dataset(synth_examples(N_TRAIN), shuffle=True)
    val_ds = as_dataset(synth_examples(N_VAL), shuffle=False)

    results = {}
    for eps in (0.0, SMOOTHING):
        keras.utils.set_random_seed(7)
        model = build_tagger()
        model.compile(optimizer=keras.optimizers.Adam(5e-3),
                      loss=SmoothedMaskedXent(NUM_TAGS, eps),
                      metrics=[MaskedTokenAccuracy()])
        hist = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0)
        results[eps] = {k: v[-1] for k, v in hist.history.items()}

        # confidence check: smoothing should cap the max probability
        xb, yb = next(iter(val_ds))
        probs = tf.nn.softmax(model(xb, training=False), axis=-1)
        valid = tf.math.not_equal(yb, IGNORE_INDEX)
        mean_conf = tf.reduce_mean(tf.boolean_mask(tf.reduce_max(probs, -1), valid))
        results[eps]["mean_conf"] = float(mean_conf)

    for eps, r in results.items():
        print(f"eps={eps:.1f}: " + ", ".join(f"{k}={v:.4f}" for k, v in r.items()))
    print(f"(smoothed loss cannot go below {floor:.4f})")


if __name__ == "__main__":
    main()
