"""Fine-tune a small BERT-like encoder on paraphrase detection (MRPC-style).

Pipeline:
  1. whitespace tokenisation + StringLookup vocabulary
  2. pair packing inside Dataset.map: [CLS] a [SEP] b [SEP] with segment ids
     and an attention mask, truncating each side to half the budget
  3. functional encoder with token / segment / position embeddings
  4. "pretrained" encoder weights are saved and re-loaded into the classifier
     (stand-in for loading a real checkpoint), embeddings frozen for fine-tuning
  5. linear warmup + decay schedule, AdamW, model.fit with callbacks
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

MAX_SEQ_LEN = 32
HIDDEN = 64
HEADS = 4
INTERMEDIATE = 128
N_LAYERS = 2
BATCH = 16
EPOCHS = 1
WARMUP_FRACTION = 0.1

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

rs = np.random.RandomState(5)
tf.random.set_seed(5)

BASE_WORDS = ("company shares rose fell sharply slightly today yesterday after report profits "
              "investors market analysts said expected quarter revenue announced new chief "
              "executive plans cut jobs price government bank rates interest").split()
SYNONYMS = {"rose": "increased", "fell": "dropped", "said": "stated", "cut": "reduce",
            "sharply": "steeply", "announced": "revealed", "company": "firm"}


def make_example():
    sent = list(rs.choice(BASE_WORDS, size=rs.randint(6, 14)))
    if rs.rand() < 0.5:
        # paraphrase: swap in synonyms and shuffle a little
        para = [SYNONYMS.get(w, w) for w in sent]
        i, j = rs.randint(len(para), size=2)
        para[i], para[j] = para[j], para[i]
        return " ".join(sent), " ".join(para), 1
    other = list(rs.choice(BASE_WORDS, size=rs.randint(6, 14)))
    return " ".join(sent), " ".join(other), 0


rows = [make_example() for _ in range(448)]
sent_a, sent_b, labels = map(np.array, zip(*rows))
split = 384

# --- vocabulary -------------------------------------------------------------
all_words = sorted({w for s in np.concatenate([sent_a, sent_b]) for w in s.split()})
lookup = keras.layers.StringLookup(
    vocabulary=SPECIAL_TOKENS[2:] + all_words,  # [PAD]/[UNK] handled by mask/oov tokens
    mask_token="[PAD]", oov_token="[UNK]", num_oov_indices=1)
VOCAB_SIZE = lookup.vocabulary_size()
CLS_ID = int(lookup(tf.constant("[CLS]")))
SEP_ID = int(lookup(tf.constant("[SEP]")))
print("vocab size:", VOCAB_SIZE, "CLS:", CLS_ID, "SEP:", SEP_ID)


def pack_pair(a, b, label):
    """Tokenise one example and pack it as BERT inputs (no Python branching on tensors)."""
    budget = (MAX_SEQ_LEN - 3) // 2
    ids_a = lookup(tf.strings.split(tf.strings.lower(a)))[:budget]
    ids_b = lookup(tf.strings.split(tf.strings.lower(b)))[:budget]
    cls = tf.constant([CLS_ID], dtype=tf.int64)
    sep = tf.constant([SEP_ID], dtype=tf.int64)
    input_ids = tf.concat([cls, ids_a, sep, ids_b, sep], axis=0)
    segment_ids = tf.concat([
        tf.zeros(tf.shape(ids_a)[0] + 2, dtype=tf.int64),
        tf.ones(tf.shape(ids_b)[0] + 1, dtype=tf.int64),
    ], axis=0)
    pad = MAX_SEQ_LEN - tf.shape(input_ids)[0]
    input_ids = tf.pad(input_ids, [[0, pad]])
    segment_ids = tf.pad(segment_ids, [[0, pad]])
    input_mask = tf.cast(tf.not_equal(input_ids, 0), tf.int64)
    features = {
        "input_ids": tf.ensure_shape(input_ids, [MAX_SEQ_LEN]),
        "segment_ids": tf.ensure_shape(segment_ids, [MAX_SEQ_LEN]),
        "input_mask": tf.ensure_shape(input_mask, [MAX_SEQ_LEN]),
    }
    return features, label


def make_ds(a, b, y, training):
    ds = tf.data.Dataset.from_tensor_slices((a, b, y))
    if training:
        ds = ds.shuffle(1024, seed=5)
    ds = ds.map(pack_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


train_ds = make_ds(sent_a[:split], sent_b[:split], labels[:split], training=True)
val_ds = make_ds(sent_a[split:], sent_b[split:], labels[split:], training=False)

feats, _ = next(iter(train_ds))
print({k: tuple(v.shape) for k, v in feats.items()})
print("first packed ids:", feats["input_ids"][0, :16].numpy())
print("segment ids     :", feats["segment_ids"][0, :16].numpy())


# --- encoder ----------------------------------------------------------------
class BertEmbeddings(keras.layers.Layer):
    def __init__(self, vocab_size, hidden, max_len, type_vocab=2, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.word = keras.layers.Embedding(vocab_size, hidden, name="word_embeddings")
        self.segment = keras.layers.Embedding(type_vocab, hidden, name="token_type_embeddings")
        self.position = keras.layers.Embedding(max_len, hidden, name="position_embeddings")
        self.norm = keras.layers.LayerNormalization(epsilon=1e-12)
        self.dropout = keras.layers.Dropout(dropout)

    def call(self, input_ids, segment_ids, training=None):
        seq_len = tf.shape(input_ids)[1]
        pos = self.position(tf.range(seq_len))[tf.newaxis]
        x = self.word(input_ids) + self.segment(segment_ids) + pos
        return self.dropout(self.norm(x), training=training)


def transformer_layer(x, attn_mask, idx):
    attn = keras.layers.MultiHeadAttention(HEADS, HIDDEN // HEADS, dropout=0.1,
                                           name=f"layer_{idx}_attention")
    h = attn(x, x, attention_mask=attn_mask)
    x = keras.layers.LayerNormalization(epsilon=1e-12, name=f"layer_{idx}_attn_norm")(x + h)
    h = keras.layers.Dense(INTERMEDIATE, activation="gelu", name=f"layer_{idx}_intermediate")(x)
    h = keras.layers.Dense(HIDDEN, name=f"layer_{idx}_output")(h)
    h = keras.layers.Dropout(0.1)(h)
    return keras.layers.LayerNormalization(epsilon=1e-12, name=f"layer_{idx}_out_norm")(x + h)


def build_encoder():
    input_ids = keras.Input((MAX_SEQ_LEN,), dtype="int64", name="input_ids")
    segment_ids = keras.Input((MAX_SEQ_LEN,), dtype="int64", name="segment_ids")
    input_mask = keras.Input((MAX_SEQ_LEN,), dtype="int64", name="input_mask")

    x = BertEmbeddings(VOCAB_SIZE, HIDDEN, MAX_SEQ_LEN, name="embeddings")(input_ids, segment_ids)
    # (B, T) -> (B, 1, T) so it broadcasts over query positions
    attn_mask = keras.layers.Reshape((1, MAX_SEQ_LEN))(input_mask)
    for i in range(N_LAYERS):
        x = transformer_layer(x, attn_mask, i)
    cls_token = keras.layers.Lambda(lambda t: t[:, 0, :], name="cls_token")(x)
    pooled = keras.layers.Dense(HIDDEN, activation="tanh", name="pooler")(cls_token)
    return keras.Model({"input_ids": input_ids, "segment_ids": segment_ids, "input_mask": input_mask},
                       {"sequence_output": x, "pooled_output": pooled}, name="bert_encoder")


# Pretend this is the pretrained checkpoint
ckpt_dir = tempfile.mkdtemp(prefix="rw70_bert_")
ckpt_path = os.path.join(ckpt_dir, "encoder.weights.h5")
build_encoder().save_weights(ckpt_path)

encoder = build_encoder()
encoder.load_weights(ckpt_path)
encoder.get_layer("embeddings").trainable = False  # common trick for tiny datasets


def build_classifier(encoder, num_classes=2):
    inputs = {name: keras.Input((MAX_SEQ_LEN,), dtype="int64", name=name)
              for name in ("input_ids", "segment_ids", "input_mask")}
    outputs = encoder(inputs)
    x = keras.layers.Dropout(0.1)(outputs["pooled_output"])
    logits = keras.layers.Dense(num_classes, name="classifier",
                                kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02))(x)
    return keras.Model(inputs, logits, name="paraphrase_classifier")


class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps):
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = self.peak_lr * step / max(self.warmup_steps, 1)
        decay = self.peak_lr * tf.maximum(
            0.0, (self.total_steps - step) / max(self.total_steps - self.warmup_steps, 1))
        return tf.where(step < self.warmup_steps, warmup, decay)

    def get_config(self):
        return dict(peak_lr=self.peak_lr, warmup_steps=self.warmup_steps, total_steps=self.total_steps)


steps_per_epoch = int(np.ceil(split / BATCH))
total_steps = steps_per_epoch * EPOCHS
schedule = WarmupLinearDecay(3e-4, int(WARMUP_FRACTION * total_steps), total_steps)

classifier = build_classifier(encoder)
optimizer = keras.optimizers.AdamW(schedule, weight_decay=0.01, epsilon=1e-6)
# no weight decay on LayerNorm params and biases, as in the original BERT recipe
optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
classifier.compile(
    optimizer=optimizer,
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")],
)
classifier.summary(expand_nested=False)
print("trainable weights:", len(classifier.trainable_weights),
      "non-trainable:", len(classifier.non_trainable_weights))

history = classifier.fit(
    train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=2,
                                             restore_best_weights=True)],
)

probs = tf.nn.softmax(classifier.predict(val_ds, verbose=0), axis=-1).numpy()
preds = probs.argmax(-1)
y_val = labels[split:]
tp = np.sum((preds == 1) & (y_val == 1))
f1 = 2 * tp / max(np.sum(preds == 1) + np.sum(y_val == 1), 1)
print(f"val acc={np.mean(preds == y_val):.3f}  F1={f1:.3f}")
