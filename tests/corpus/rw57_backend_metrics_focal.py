"""Backend (K.*) custom metrics and focal loss for an imbalanced tabular task.

These recall/precision/f1 functions were removed from Keras in 2.0 and have been
copy-pasted into half the notebooks on Kaggle ever since. They still work with
tf.keras.backend on TF 2.x / Keras 3, as does the usual binary focal loss
closure. Trained with class_weight + validation_split.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K

SEED = 11
N_ROWS = 2000
N_FEATURES = 20
POS_RATE = 0.08
EPOCHS = 3
BATCH = 128


def recall_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    recall = true_positives / (possible_positives + K.epsilon())
    return recall


def precision_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    precision = true_positives / (predicted_positives + K.epsilon())
    return precision


def f1_m(y_true, y_pred):
    precision = precision_m(y_true, y_pred)
    recall = recall_m(y_true, y_pred)
    return 2 * ((precision * recall) / (precision + recall + K.epsilon()))


def binary_focal_loss(gamma=2.0, alpha=0.25):
    """Lin et al. 2017. Returns a closure so it can go straight into compile()."""

    def binary_focal_loss_fixed(y_true, y_pred):
        y_true = K.cast(y_true, K.floatx())
        y_pred = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())
        # p_t and alpha_t without any Python branching on values
        p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
        alpha_t = y_true * alpha + (1 - y_true) * (1 - alpha)
        fl = -alpha_t * K.pow(1.0 - p_t, gamma) * K.log(p_t)
        return K.mean(K.sum(fl, axis=-1))

    return binary_focal_loss_fixed


def make_imbalanced(n, d, pos_rate, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype("float32")
    w = rng.randn(d)
    logits = X @ w
    thresh = np.quantile(logits, 1 - pos_rate)
    y = (logits + 0.5 * rng.randn(n) > thresh).astype("float32")
    return X, y.reshape(-1, 1)


def build_mlp(n_features, loss):
    model = keras.Sequential(name="fraud_mlp")
    model.add(keras.layers.Input(shape=(n_features,)))
    model.add(keras.layers.Dense(64, kernel_initializer="he_normal"))
    model.add(keras.layers.BatchNormalization())
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dropout(0.3))
    model.add(keras.layers.Dense(32, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss=loss,
                  metrics=["acc", f1_m, precision_m, recall_m])
    return model


np.random.seed(SEED)
tf.random.set_seed(SEED)

X, y = make_imbalanced(N_ROWS, N_FEATURES, POS_RATE, SEED)
neg, pos = np.bincount(y.ravel().astype(int))
print("Examples: total %d, positive %d (%.1f%%)" % (neg + pos, pos, 100.0 * pos / (neg + pos)))

# standard TF imbalanced-data tutorial weighting
weight_for_0 = (1 / neg) * (neg + pos) / 2.0
weight_for_1 = (1 / pos) * (neg + pos) / 2.0
class_weight = {0: weight_for_0, 1: weight_for_1}
print("Weight for class 0: {:.2f}".format(weight_for_0))
print("Weight for class 1: {:.2f}".format(weight_for_1))

# quick sanity check of the K-metrics on eager tensors
yt = K.constant([[1.], [0.], [1.], [1.]])
yp = K.constant([[0.9], [0.6], [0.2], [0.8]])
print("sanity  P=%.3f R=%.3f F1=%.3f" % (float(precision_m(yt, yp)),
                                        float(recall_m(yt, yp)),
                                        float(f1_m(yt, yp))))

results = {}
for loss_name, loss_fn in [("bce", "binary_crossentropy"),
                           ("focal", binary_focal_loss(gamma=2.0, alpha=0.25))]:
    K.clear_session()
    model = build_mlp(N_FEATURES, loss_fn)
    hist = model.fit(X, y,
                     batch_size=BATCH,
                     epochs=EPOCHS,
                     validation_split=0.2,
                     class_weight=class_weight,
                     verbose=0)
    last = {k: round(v[-1], 4) for k, v in hist.history.items()}
    results[loss_name] = last
    print(loss_name, "->", {k: last[k] for k in ("loss", "val_loss", "val_f1_m", "val_recall_m")})

# evaluate the last model the same way Keras 2 users did: return_dict on the holdout
X_hold, y_hold = make_imbalanced(400, N_FEATURES, POS_RATE, SEED + 1)
scores = model.evaluate(X_hold, y_hold, batch_size=BATCH, verbose=0, return_dict=True)
print("holdout:", {k: round(float(v), 4) for k, v in scores.items()})
