"""Character-level CNN text classifier (spam vs ham toy set).

Character TextVectorization (split="character") inside a tf.data pipeline,
a subclassed model with parallel Conv1D branches of different kernel widths
(names built with f-strings), global max pooling, and a small dense head.
Also exports an end-to-end model that takes raw strings.
"""
import numpy as np
import tensorflow as tf

SEQ_LEN = 96
EMBED = 16
FILTERS = 32
KERNELS = (3, 5, 7)
BATCH_SIZE = 8

ham = [
    "hey are we still meeting for lunch tomorrow?",
    "can you send me the report by friday",
    "thanks for the help yesterday, really appreciated",
    "running 10 min late, start without me",
    "mom says dinner is at 7",
    "did you finish the slides for the review",
    "happy birthday!! hope you have a great day",
    "the build is green again, merging now",
]
spam = [
    "WIN a FREE iPhone now!!! click http://bit.ly/xyz",
    "URGENT: your account is suspended, verify at www.fake-bank.com",
    "Congratulations! You've won $1000 cash prize, reply YES",
    "cheap meds online no prescription needed!!!",
    "Earn $$$ from home, limited offer, call 0800-123-456",
    "you have been selected for a FREE cruise, claim now",
    "Lowest mortgage rates guaranteed, act fast",
    "hot singles in your area, click here",
]
texts = ham + spam
labels = [0] * len(ham) + [1] * len(spam)

char_vec = tf.keras.layers.TextVectorization(
    standardize="lower",
    split="character",
    output_mode="int",
    output_sequence_length=SEQ_LEN,
    name="char_vectorizer",
)
char_vec.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(4))
VOCAB = char_vec.vocabulary_size()
print("char vocab size:", VOCAB)
print("first chars:", char_vec.get_vocabulary()[:20])

full_ds = tf.data.Dataset.from_tensor_slices((texts, labels)).shuffle(32, seed=7, reshuffle_each_iteration=False)
n_val = 4
val_ds = full_ds.take(n_val)
train_ds = full_ds.skip(n_val)


def vectorize(text, label):
    return char_vec(text), label


train_ds = train_ds.batch(BATCH_SIZE).map(vectorize, num_parallel_calls=tf.data.AUTOTUNE).cache().prefetch(2)
val_ds = val_ds.batch(BATCH_SIZE).map(vectorize).cache()


class CharCNN(tf.keras.Model):
    def __init__(self, vocab_size, embed_dim=EMBED, filters=FILTERS, kernels=KERNELS, n_classes=1):
        super().__init__(name="char_cnn")
        self.embed = tf.keras.layers.Embedding(vocab_size, embed_dim, name="char_embedding")
        self.convs = []
        self.pools = []
        for k in kernels:
            self.convs.append(
                tf.keras.layers.Conv1D(filters, k, padding="valid", activation="relu", name=f"conv_k{k}")
            )
            self.pools.append(tf.keras.layers.GlobalMaxPooling1D(name=f"maxpool_k{k}"))
        self.concat = tf.keras.layers.Concatenate(name="concat_branches")
        self.drop = tf.keras.layers.Dropout(0.3)
        self.fc = tf.keras.layers.Dense(32, activation="relu", name="fc")
        self.bn = tf.keras.layers.BatchNormalization()
        self.out = tf.keras.layers.Dense(n_classes, activation="sigmoid", name="spam_prob")

    def call(self, x, training=False):
        x = self.embed(x)
        feats = [pool(conv(x)) for conv, pool in zip(self.convs, self.pools)]
        h = self.concat(feats)
        h = self.drop(h, training=training)
        h = self.bn(self.fc(h), training=training)
        return self.out(h)


model = CharCNN(VOCAB)
_ = model(tf.zeros((1, SEQ_LEN), dtype="int64"))  # build weights so summary() shows params
model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=3e-3),
    loss=tf.keras.losses.BinaryCrossentropy(),
    metrics=[tf.keras.metrics.BinaryAccuracy(name="acc"), tf.keras.metrics.AUC(name="auc")],
)
model.summary()

callbacks = [tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)]
history = model.fit(train_ds, validation_data=val_ds, epochs=1, callbacks=callbacks, verbose=2)

# ----- end-to-end inference model on raw strings -----
raw_in = tf.keras.Input(shape=(1,), dtype="string", name="raw_text")
ids = char_vec(raw_in)
probs = model(ids)
e2e = tf.keras.Model(raw_in, probs, name="char_cnn_end_to_end")

samples = np.array([["free cash!!! click now"], ["see you at the meeting"]], dtype=object)
scores = e2e.predict(tf.constant(samples), verbose=0)
for s, p in zip(samples[:, 0], scores[:, 0]):
    print(f"{p:.3f}  {'SPAM' if p > 0.5 else 'ham ':4}  {s}")

loss, acc, auc = model.evaluate(val_ds, verbose=0)
print(f"val loss={loss:.4f} acc={acc:.3f} auc={auc:.3f}")
