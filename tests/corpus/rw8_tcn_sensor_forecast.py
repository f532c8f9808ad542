"""Temporal Convolutional Network (TCN) for next-step sensor forecasting.

Residual blocks of dilated causal Conv1D (dilations 1,2,4,8) with weight
normalization-ish layer norm, spatial dropout and 1x1 skip projections.
Trained on synthetic multi-sensor readings windowed with
keras.utils.timeseries_dataset_from_array.
"""
import numpy as np
import tensorflow as tf
import tensorflow.keras as K
from tensorflow.keras import layers as L

np.random.seed(42)

WINDOW = 64
N_SENSORS = 4
PARAMS = {"filters": 32, "kernel_size": 3, "dilations": [1, 2, 4, 8],
          "dropout": 0.05, "lr": 1e-3, "batch": 64}


def receptive_field(kernel_size, dilations, n_stacks=1):
    return 1 + 2 * (kernel_size - 1) * n_stacks * sum(dilations)


def generate_sensors(T=3000):
    t = np.linspace(0, 60, T)
    base = np.stack([
        np.sin(t * 1.3),
        np.cos(t * 0.7) * 0.8,
        np.sin(t * 0.31 + 1.0) * 1.5,
        (t % 3.0) / 3.0 - 0.5,  # poor man's sawtooth, no scipy here
    ], axis=1)
    noise = np.random.normal(scale=0.1, size=base.shape)
    # sensor 0 also depends on lagged sensor 2 -> gives the conv something to learn
    base[5:, 0] += 0.4 * base[:-5, 2]
    return (base + noise).astype(np.float32)


class TCNBlock(L.Layer):
    def __init__(self, filters, kernel_size, dilation, dropout=0.0, **kwargs):
        super(TCNBlock, self).__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.dropout = dropout
        self.conv1 = L.Conv1D(filters, kernel_size, padding="causal",
                              dilation_rate=dilation, kernel_initializer="he_normal")
        self.conv2 = L.Conv1D(filters, kernel_size, padding="causal",
                              dilation_rate=dilation, kernel_initializer="he_normal")
        self.norm1 = L.LayerNormalization()
        self.norm2 = L.LayerNormalization()
        self.drop1 = L.SpatialDropout1D(dropout)
        self.drop2 = L.SpatialDropout1D(dropout)
        self.downsample = None

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            self.downsample = L.Conv1D(self.filters, 1, padding="same")
        super().build(input_shape)

    def call(self, x, training=None):
        h = self.conv1(x)
        h = tf.nn.relu(self.norm1(h))
        h = self.drop1(h, training=training)
        h = self.conv2(h)
        h = tf.nn.relu(self.norm2(h))
        h = self.drop2(h, training=training)
        res = x if self.downsample is None else self.downsample(x)
        return tf.nn.relu(h + res)

    def get_config(self):
        c = super().get_config()
        c.update(filters=self.filters, kernel_size=self.kernel_size,
                 dilation=self.dilation, dropout=self.dropout)
        return c


def build_tcn(p):
    inp = L.Input(shape=(WINDOW, N_SENSORS))
    x = inp
    for d in p["dilations"]:
        x = TCNBlock(p["filters"], p["kernel_size"], d, p["dropout"], name=f"tcn_d{d}")(x)
    x = L.Lambda(lambda z: z[:, -1, :], name="last_step")(x)
    out = L.Dense(N_SENSORS, name="next_reading")(x)
    return K.Model(inp, out, name="TCN")


class GradNormPrinter(K.callbacks.Callback):
    """Cheap sanity check: print the weight norm of the output layer each epoch."""

    def on_epoch_end(self, epoch, logs=None):
        w = self.model.get_layer("next_reading").get_weights()[0]
        print(f"epoch {epoch}: |W_out|={np.linalg.norm(w):.3f} val_mse={logs.get('val_loss'):.4f}")


data = generate_sensors()
split = int(0.8 * len(data))
mean, std = data[:split].mean(0), data[:split].std(0)
data = (data - mean) / std

# x[i:i+WINDOW] -> data[i+WINDOW]
train_ds = K.utils.timeseries_dataset_from_array(
    data[:split - 1], targets=data[WINDOW:split], sequence_length=WINDOW,
    batch_size=PARAMS["batch"], shuffle=True, seed=3)
val_ds = K.utils.timeseries_dataset_from_array(
    data[split:-1], targets=data[split + WINDOW:], sequence_length=WINDOW,
    batch_size=PARAMS["batch"])

print("receptive field:", receptive_field(PARAMS["kernel_size"], PARAMS["dilations"]),
      "window:", WINDOW)

model = build_tcn(PARAMS)
model.compile(optimizer=K.optimizers.Adam(PARAMS["lr"]), loss="mse", metrics=["mae"])
model.summary()

history = model.fit(train_ds.take(10), validation_data=val_ds.take(3), epochs=1,
                    callbacks=[K.callbacks.EarlyStopping(patience=5), GradNormPrinter()])

# autoregressive roll-out for a few steps
window = data[split:split + WINDOW].copy()
preds = []
for _ in range(5):
    nxt = model.predict(window[None], verbose=0)[0]
    preds.append(nxt)
    window = np.concatenate([window[1:], nxt[None]], axis=0)
preds = np.array(preds) * std + mean
print("rolled-out forecast (sensor 0):", preds[:, 0].round(3))
