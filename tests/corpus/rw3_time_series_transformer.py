# Multivariate time-series forecasting with a small Transformer encoder.
# Blog-tutorial style: sliding windows -> sinusoidal PE -> MHA blocks -> regression.
import numpy as np
import tensorflow as tf

np.random.seed(7)

WINDOW = 24
HORIZON = 1
N_FEATURES = 5
TARGET_COL = 0
D_MODEL = 32
NUM_HEADS = 4
FF_DIM = 64
NUM_BLOCKS = 2
BATCH = 16

# --- synthetic multivariate series ------------------------------------------
T = 120
t = np.arange(T, dtype=np.float32)
series = np.stack(
    [np.sin(2 * np.pi * t / (12 + 3 * k)) + 0.1 * np.random.randn(T) for k in range(N_FEATURES)],
    axis=-1,
).astype(np.float32)
print("raw series:", series.shape)

train_end = int(0.8 * T)
mean = series[:train_end].mean(axis=0)
std = series[:train_end].std(axis=0)
series = (series - mean) / std

# --- windows with a plain python loop ---------------------------------------
X_list, y_list = [], []
for i in range(len(series) - WINDOW - HORIZON + 1):
    X_list.append(series[i : i + WINDOW])
    y_list.append(series[i + WINDOW + HORIZON - 1, TARGET_COL])
X = np.array(X_list)
y = np.array(y_list).reshape(-1, 1)
print("windows:", X.shape, y.shape)

split = int(0.8 * len(X))
X_train, y_train = X[:split], y[:split]
X_val, y_val = X[split:], y[split:]


# --- positional encoding (numpy) --------------------------------------------
def get_angles(pos, i, d_model):
    angle_rates = 1 / np.power(10000, (2 * (i // 2)) / np.float32(d_model))
    return pos * angle_rates


def positional_encoding(position, d_model):
    angle_rads = get_angles(np.arange(position)[:, np.newaxis],
                            np.arange(d_model)[np.newaxis, :],
                            d_model)
    angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])
    angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])
    pos_encoding = angle_rads[np.newaxis, ...]
    return tf.cast(pos_encoding, dtype=tf.float32)


pos_enc = positional_encoding(WINDOW, D_MODEL)
print("pos encoding:", pos_enc.shape)


class AddPositionalEncoding(tf.keras.layers.Layer):
    def __init__(self, pe, **kwargs):
        super().__init__(**kwargs)
        self.pe = pe

    def call(self, x):
        seq_len = tf.shape(x)[1]
        return x + self.pe[:, :seq_len, :]


def transformer_encoder(x, head_size, num_heads, ff_dim, dropout=0.1):
    # pre-norm attention
    h = tf.keras.layers.LayerNormalization(epsilon=1e-6)(x)
    h = tf.keras.layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads,
                                           dropout=dropout)(h, h)
    h = tf.keras.layers.Dropout(dropout)(h)
    res = h + x
    # feed-forward
    h = tf.keras.layers.LayerNormalization(epsilon=1e-6)(res)
    h = tf.keras.layers.Dense(ff_dim, activation="gelu")(h)
    h = tf.keras.layers.Dropout(dropout)(h)
    h = tf.keras.layers.Dense(x.shape[-1])(h)
    return h + res


def build_model(window, n_features, num_blocks=NUM_BLOCKS):
    inputs = tf.keras.Input(shape=(window, n_features))
    x = tf.keras.layers.Dense(D_MODEL)(inputs)  # project to model dim
    x = AddPositionalEncoding(pos_enc)(x)
    for _ in range(num_blocks):
        x = transformer_encoder(x, head_size=D_MODEL // NUM_HEADS,
                                num_heads=NUM_HEADS, ff_dim=FF_DIM)
    x = tf.keras.layers.LayerNormalization(epsilon=1e-6)(x)
    x = tf.keras.layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for units in [32, 16]:
        x = tf.keras.layers.Dense(units, activation="relu")(x)
        x = tf.keras.layers.Dropout(0.1)(x)
    outputs = tf.keras.layers.Dense(HORIZON)(x)
    return tf.keras.Model(inputs, outputs, name="ts_transformer")


model = build_model(WINDOW, N_FEATURES)
model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
model.summary()

callbacks = [tf.keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)]
model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=1, batch_size=BATCH, callbacks=callbacks)
preds = model.predict(X_val, verbose=0)
print("val preds:", preds.shape, "val mse (numpy):", float(np.mean((preds - y_val) ** 2)))

# --- same thing with timeseries_dataset_from_array --------------------------
# targets[i] should line up with window starting at i -> offset by WINDOW
targets = series[WINDOW + HORIZON - 1 :, TARGET_COL]
train_ds = tf.keras.utils.timeseries_dataset_from_array(
    data=series[:-HORIZON] if HORIZON > 0 else series,
    targets=targets,
    sequence_length=WINDOW,
    sequence_stride=1,
    shuffle=True,
    batch_size=BATCH,
    end_index=train_end,
)
val_ds = tf.keras.utils.timeseries_dataset_from_array(
    data=series[:-HORIZON],
    targets=targets,
    sequence_length=WINDOW,
    batch_size=BATCH,
    start_index=train_end - WINDOW,
)
for xb, yb in train_ds.take(1):
    print("ds batch:", xb.shape, yb.shape)

# lighter variant for the tf.data pipeline run
model2 = build_model(WINDOW, N_FEATURES, num_blocks=1)
model2.compile(optimizer="adam", loss="mse")
model2.fit(train_ds, epochs=1, verbose=2)
for xb, yb in val_ds.take(1):
    out = model2(xb, training=False)
    print("val batch preds:", out.shape, "mse:", float(tf.reduce_mean((out[:, 0] - yb) ** 2)))
