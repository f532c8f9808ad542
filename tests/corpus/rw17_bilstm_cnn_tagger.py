"""BiLSTM-CNN sequence tagger (no CRF) with masking and a masked loss.

Word ids go through an Embedding with mask_zero=True, so padded positions are
masked all the way through the BiLSTM.  A character-level CNN (Conv1D + max
pooling applied per token via TimeDistributed) adds sub-word features.  The
tag head is a softmax per token; tag 0 is reserved for padding and is
excluded from the loss and from the accuracy metric.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

WORD_VOCAB = 1000
CHAR_VOCAB = 60
NUM_TAGS = 9          # 0 = PAD, 1..8 = real tags (e.g. BIO over 4 entity types)
MAX_LEN = 16
MAX_CHARS = 10
WORD_DIM = 48
CHAR_DIM = 16
CHAR_FILTERS = 24
LSTM_UNITS = 32
BATCH = 16


class MaskedSparseCE(keras.losses.Loss):
    """Token-level cross-entropy that ignores positions where y_true == 0."""

    def __init__(self, pad_id=0, name="masked_sparse_ce", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pad_id = pad_id

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), ce.dtype)
        # Per-sentence mean over real tokens only, so padding never dilutes
        # the gradient of short sentences.
        per_sentence = ops.sum(ce * mask, axis=-1)
        return per_sentence / ops.maximum(ops.sum(mask, axis=-1), 1.0)

    def get_config(self):
        cfg = super().get_config()
        cfg["pad_id"] = self.pad_id
        return cfg


class MaskedTokenAccuracy(keras.metrics.Metric):
    """Accuracy over non-pad tokens only, accumulated across batches."""

    def __init__(self, pad_id=0, name="masked_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pad_id = pad_id
        self.correct = self.add_variable(shape=(), initializer="zeros",
                                         name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros",
                                       name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        pred_tags = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        hits = ops.cast(ops.equal(y_true, pred_tags), "float32") * mask
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(mask))

    def result(self):
        return self.correct / ops.maximum(self.total, 1.0)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


def build_tagger():
    words = keras.Input(shape=(MAX_LEN,), dtype="int32", name="word_ids")
    chars = keras.Input(shape=(MAX_LEN, MAX_CHARS), dtype="int32",
                        name="char_ids")

    w = layers.Embedding(WORD_VOCAB, WORD_DIM, mask_zero=True,
                         name="word_emb")(words)

    c = layers.Embedding(CHAR_VOCAB, CHAR_DIM, name="char_emb")(chars)
    c = layers.TimeDistributed(
        layers.Conv1D(CHAR_FILTERS, 3, padding="same", activation="relu"),
        name="char_conv")(c)
    c = layers.TimeDistributed(layers.GlobalMaxPooling1D(),
                               name="char_pool")(c)

    x = layers.Concatenate(name="word_and_chars")([w, c])
    x = layers.Dropout(0.25)(x)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True),
                             name="bilstm")(x)
    x = layers.Dropout(0.25)(x)
    tags = layers.Dense(NUM_TAGS, activation="softmax", name="tags")(x)
    return keras.Model([words, chars], tags, name="bilstm_cnn_tagger")


def make_batch_data(n, rng):
    word_ids = np.zeros((n, MAX_LEN), dtype="int32")
    char_ids = np.zeros((n, MAX_LEN, MAX_CHARS), dtype="int32")
    tag_ids = np.zeros((n, MAX_LEN), dtype="int32")
    for i in range(n):
        length = rng.integers(4, MAX_LEN + 1)
        word_ids[i, :length] = rng.integers(1, WORD_VOCAB, size=length)
        # A deterministic-ish tag rule so the task is not pure noise.
        tag_ids[i, :length] = 1 + word_ids[i, :length] % (NUM_TAGS - 1)
        for t in range(length):
            n_chars = rng.integers(2, MAX_CHARS + 1)
            char_ids[i, t, :n_chars] = rng.integers(1, CHAR_VOCAB, size=n_chars)
    return word_ids, char_ids, tag_ids


def main():
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    words, chars, tags = make_batch_data(96, rng)

    model = build_tagger()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=MaskedSparseCE(),
                  metrics=[MaskedTokenAccuracy()])
    model.summary()

    # The mask produced by the embedding should match the non-pad positions.
    emb_mask = model.get_layer("word_emb").compute_mask(words[:2])
    assert np.array_equal(ops.convert_to_numpy(emb_mask), words[:2] != 0)

    ds = (tf.data.Dataset.from_tensor_slices(((words, chars), tags))
          .shuffle(96, seed=11).batch(BATCH))
    model.fit(ds, epochs=1, verbose=2)

    probs = model.predict([words[:3], chars[:3]], verbose=0)
    pred = probs.argmax(-1)
    for i in range(3):
        n = int((words[i] != 0).sum())
        print(f"len={n} gold={tags[i, :n].tolist()}")
        print(f"       pred={pred[i, :n].tolist()}")

    # Padding must not change predictions for the real tokens.
    longer_w = np.pad(words[:1], ((0, 0), (0, 4)))[:, :MAX_LEN]
    p2 = model.predict([longer_w, chars[:1]], verbose=0)
    n0 = int((words[0] != 0).sum())
    np.testing.assert_allclose(p2[0, :n0], probs[0, :n0], atol=1e-5)
    print("masked eval loss:", model.evaluate(ds, verbose=0))


if __name__ == "__main__":
    main()
