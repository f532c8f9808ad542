"""Custom training loop inside a K-fold loop, string categoricals via StringLookup.

Mimics the "write your own train_step with GradientTape" style some Kaggle
notebooks use to get gradient clipping + EMA of weights without subclassing.
"""
import os
import string
import numpy as np
import tensorflow as tf
import keras
from keras import layers

os.environ["TF_DETERMINISTIC_OPS"] = "1"

NUM_CLASSES = 4
FOLDS = 3
EPOCHS = 2
BS = 48
EMA_DECAY = 0.9
CLIP_NORM = 1.0

rs = np.random.RandomState(11)

# ------------------------------------------------------------------ synthetic table
CITIES = ["paris", "lyon", "nice", "lille", "nantes", "brest"]
DEVICES = ["ios", "android", "web"]
N = 480


def random_token(k=3):
    return "".join(rs.choice(list(string.ascii_lowercase), size=k))


raw = {
    "city": rs.choice(CITIES + ["<rare>"], size=N, p=[0.2, 0.2, 0.15, 0.15, 0.1, 0.1, 0.1]),
    "device": rs.choice(DEVICES, size=N),
    "referrer": np.array([random_token(2) for _ in range(N)]),  # high-cardinality, hashed
    "sessions": rs.poisson(5, size=N).astype("float32"),
    "spend": rs.gamma(2.0, 30.0, size=N).astype("float32"),
}
raw["spend"][rs.rand(N) < 0.05] = np.nan  # a few missing values
label = (
    (raw["device"] == "ios").astype(int) * 2
    + (raw["sessions"] > 5).astype(int)
) % NUM_CLASSES
label = np.where(rs.rand(N) < 0.15, rs.randint(0, NUM_CLASSES, N), label).astype("int32")


# ------------------------------------------------------------------ preprocessing
def build_preprocessors(tr_idx):
    city_lookup = layers.StringLookup(num_oov_indices=1, output_mode="int")
    city_lookup.adapt(raw["city"][tr_idx])
    device_lookup = layers.StringLookup(num_oov_indices=1)
    device_lookup.adapt(raw["device"][tr_idx])
    ref_hash = layers.Hashing(num_bins=32)
    spend = raw["spend"][tr_idx]
    spend_median = float(np.nanmedian(spend))
    num_norm = layers.Normalization()
    num_stack = np.stack([raw["sessions"][tr_idx], np.log1p(np.nan_to_num(spend, nan=spend_median))], axis=1)
    num_norm.adapt(num_stack)
    return dict(city=city_lookup, device=device_lookup, referrer=ref_hash,
                num=num_norm, spend_median=spend_median)


def make_dataset(idx, prep, training):
    feats = {k: v[idx] for k, v in raw.items()}
    ds = tf.data.Dataset.from_tensor_slices((feats, label[idx]))

    def encode(x, y):
        spend = x["spend"]
        spend = tf.where(tf.math.is_nan(spend), prep["spend_median"], spend)
        num = tf.stack([x["sessions"], tf.math.log1p(spend)], axis=-1)
        out = {
            "city": prep["city"](x["city"]),
            "device": prep["device"](x["device"]),
            "referrer": prep["referrer"](x["referrer"]),
            "num": prep["num"](num[tf.newaxis, :])[0],
        }
        return out, y

    ds = ds.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(512, seed=11, reshuffle_each_iteration=True)
    return ds.batch(BS).prefetch(2)


# ------------------------------------------------------------------ model
def make_net(prep):
    cards = {
        "city": prep["city"].vocabulary_size(),
        "device": prep["device"].vocabulary_size(),
        "referrer": 32,
    }
    ins = {name: keras.Input(shape=(), dtype="int64", name=name) for name in cards}
    ins["num"] = keras.Input(shape=(2,), name="num")
    embs = [layers.Embedding(c, 4, name=f"{n}_emb")(ins[n]) for n, c in cards.items()]
    h = layers.Concatenate()(embs + [ins["num"]])
    h = layers.Dense(64, activation="relu")(h)
    h = layers.LayerNormalization()(h)
    h = layers.Dense(32, activation="relu")(h)
    logits = layers.Dense(NUM_CLASSES)(h)
    return keras.Model(ins, logits)


class Trainer:
    def __init__(self, model, lr=3e-3, steps=100):
        self.model = model
        schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps, alpha=0.1)
        self.opt = keras.optimizers.Adam(schedule, global_clipnorm=CLIP_NORM)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.train_acc = keras.metrics.SparseCategoricalAccuracy()
        self.val_acc = keras.metrics.SparseCategoricalAccuracy()
        self.train_loss = keras.metrics.Mean()
        self.ema_weights = [tf.Variable(w, trainable=False) for w in model.trainable_variables]

    @tf.function
    def train_step(self, x, y):
        with tf.GradientTape() as tape:
            logits = self.model(x, training=True)
            loss = self.loss_fn(y, logits) + tf.add_n(self.model.losses or [tf.constant(0.0)])
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.opt.apply_gradients(zip(grads, self.model.trainable_variables))
        for ema, w in zip(self.ema_weights, self.model.trainable_variables):
            ema.assign(EMA_DECAY * ema + (1.0 - EMA_DECAY) * w)
        self.train_loss.update_state(loss)
        self.train_acc.update_state(y, logits)

    @tf.function
    def predict_step(self, x):
        return tf.nn.softmax(self.model(x, training=False), axis=-1)

    def swap_to_ema(self):
        for ema, w in zip(self.ema_weights, self.model.trainable_variables):
            w.assign(ema)

    def fit(self, train_ds, val_ds, epochs):
        for ep in range(epochs):
            for m in (self.train_loss, self.train_acc, self.val_acc):
                m.reset_state()
            for xb, yb in train_ds:
                self.train_step(xb, yb)
            for xb, yb in val_ds:
                self.val_acc.update_state(yb, self.predict_step(xb))
            print(f"  epoch {ep + 1}: loss={self.train_loss.result():.4f} "
                  f"acc={self.train_acc.result():.3f} val_acc={self.val_acc.result():.3f}")

    def predict(self, ds):
        return np.concatenate([self.predict_step(xb).numpy() for xb, _ in ds])


# ------------------------------------------------------------------ k-fold
perm = rs.permutation(N)
fold_of = np.zeros(N, dtype=int)
fold_of[perm] = np.arange(N) % FOLDS
oof = np.zeros((N, NUM_CLASSES), dtype="float32")

for fold in range(FOLDS):
    tr_idx, va_idx = np.where(fold_of != fold)[0], np.where(fold_of == fold)[0]
    print(f"Fold {fold}: train={len(tr_idx)} valid={len(va_idx)}")
    keras.utils.set_random_seed(100 + fold)
    prep = build_preprocessors(tr_idx)
    train_ds = make_dataset(tr_idx, prep, training=True)
    val_ds = make_dataset(va_idx, prep, training=False)
    net = make_net(prep)
    steps = EPOCHS * int(np.ceil(len(tr_idx) / BS))
    trainer = Trainer(net, steps=steps)
    trainer.fit(train_ds, val_ds, EPOCHS)
    raw_pred = trainer.predict(val_ds)
    trainer.swap_to_ema()
    ema_pred = trainer.predict(val_ds)
    oof[va_idx] = 0.5 * raw_pred + 0.5 * ema_pred
    print(f"  raw acc {np.mean(raw_pred.argmax(1) == label[va_idx]):.3f} | "
          f"ema acc {np.mean(ema_pred.argmax(1) == label[va_idx]):.3f}")

oof_acc = np.mean(oof.argmax(1) == label)
logloss = -np.mean(np.log(oof[np.arange(N), label] + 1e-9))
print(f"OOF accuracy {oof_acc:.4f}, OOF logloss {logloss:.4f}")
print("confusion:\n", np.array([[np.sum((label == i) & (oof.argmax(1) == j))
                                  for j in range(NUM_CLASSES)] for i in range(NUM_CLASSES)]))
