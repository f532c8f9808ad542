# Char-level LM as a subclassed keras.Model with an overridden train_step,
# a callback that prints samples at the end of every epoch, a tf.Module
# "one step" generator with temperature sampling, and a weights round-trip
# through /tmp to check the reloaded model generates identically.
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEQ = 50
BATCH = 32
STEPS_PER_EPOCH = 25
EPOCHS = 2
RNN_UNITS = 128
EMBED = 24
OUT_DIR = os.path.join(tempfile.gettempdir(), "rw107_char_lm")
os.makedirs(OUT_DIR, exist_ok=True)

tf.random.set_seed(99)
rng = np.random.default_rng(99)

# --- synthetic "code-like" corpus: tiny assignment statements -------------
names = ["x", "y", "total", "count", "idx", "acc", "tmp"]
ops = ["+", "-", "*"]


def stmt():
    a, b, c = rng.choice(names, 3)
    return f"{a} = {b} {rng.choice(ops)} {rng.integers(0, 10)}\nif {c} > {rng.integers(0, 5)}:\n    {c} += 1\n"


corpus = "".join(stmt() for _ in range(350))
print(repr(corpus[:80]), "...", len(corpus), "chars")

chars = sorted(set(corpus))
char2id = layers.StringLookup(vocabulary=chars, mask_token=None)
id2char = layers.StringLookup(vocabulary=char2id.get_vocabulary(), mask_token=None, invert=True)
VOCAB = char2id.vocabulary_size()


def ids_to_string(ids):
    return tf.strings.reduce_join(id2char(ids), axis=-1)


all_ids = char2id(tf.strings.unicode_split(corpus, "UTF-8"))
ds = (tf.data.Dataset.from_tensor_slices(all_ids)
      .batch(SEQ + 1, drop_remainder=True)
      .map(lambda s: (s[:-1], s[1:]))
      .shuffle(1000, seed=99)
      .batch(BATCH, drop_remainder=True)
      .repeat()
      .prefetch(tf.data.AUTOTUNE))


class CharLM(keras.Model):
    def __init__(self, vocab, embed, units, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab, embed)
        self.gru = layers.GRU(units, return_sequences=True, return_state=True)
        self.norm = layers.LayerNormalization()
        self.logits = layers.Dense(vocab)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.ppl_tracker = keras.metrics.Mean(name="perplexity")
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def call(self, inputs, states=None, return_state=False, training=False):
        x = self.embedding(inputs, training=training)
        if states is None:
            states = self.gru.get_initial_state(tf.shape(inputs)[0])
        x, states = self.gru(x, initial_state=states, training=training)
        x = self.logits(self.norm(x), training=training)
        return (x, states) if return_state else x

    @property
    def metrics(self):
        return [self.loss_tracker, self.ppl_tracker]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            preds = self(x, training=True)
            loss = self.loss_fn(y, preds)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.ppl_tracker.update_state(tf.exp(loss))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        loss = self.loss_fn(y, self(x, training=False))
        self.loss_tracker.update_state(loss)
        self.ppl_tracker.update_state(tf.exp(loss))
        return {m.name: m.result() for m in self.metrics}


class OneStep(tf.Module):
    """Generates one char per call, carrying the GRU state between calls."""

    def __init__(self, lm, temperature=1.0):
        super().__init__()
        self.lm = lm
        self.temperature = temperature
        # forbid [UNK] (id 0 since mask_token=None)
        bad = tf.SparseTensor(indices=[[0]], values=[-float("inf")], dense_shape=[VOCAB])
        self.prediction_mask = tf.sparse.to_dense(bad)

    @tf.function
    def __call__(self, input_ids, states=None):
        logits, states = self.lm(input_ids, states=states, return_state=True)
        logits = logits[:, -1, :] / self.temperature + self.prediction_mask
        next_ids = tf.squeeze(tf.random.categorical(logits, 1), -1)
        return next_ids, states


def sample_text(lm, prompt, n=120, temperature=0.7, seed=0):
    tf.random.set_seed(seed)
    stepper = OneStep(lm, temperature)
    ids = char2id(tf.strings.unicode_split([prompt], "UTF-8")).to_tensor()
    states, out = None, [ids]
    for _ in range(n):
        nxt, states = stepper(ids, states=states)
        ids = nxt[:, None]
        out.append(ids)
    return ids_to_string(tf.concat(out, axis=1))[0].numpy().decode()


class SampleCallback(keras.callbacks.Callback):
    def __init__(self, prompt):
        super().__init__()
        self.prompt = prompt

    def on_epoch_end(self, epoch, logs=None):
        txt = sample_text(self.model, self.prompt, n=60)
        print(f"\n--- sample after epoch {epoch + 1} ---\n{txt}\n---")


model = CharLM(VOCAB, EMBED, RNN_UNITS)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=4e-3))
model.fit(ds, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, verbose=2,
          callbacks=[SampleCallback("total = ")])
print("eval:", model.evaluate(ds, steps=5, verbose=0, return_dict=True))

# --- save / reload weights and verify generation matches ------------------
weights_path = os.path.join(OUT_DIR, "char_lm.weights.h5")
model.save_weights(weights_path)
restored = CharLM(VOCAB, EMBED, RNN_UNITS)
restored(tf.zeros((1, 4), dtype=tf.int64))  # build variables
restored.load_weights(weights_path)

a = sample_text(model, "if count", n=80, seed=3)
b = sample_text(restored, "if count", n=80, seed=3)
print(a)
print("restored model output identical:", a == b)
print("weights file size:", os.path.getsize(weights_path), "bytes")
