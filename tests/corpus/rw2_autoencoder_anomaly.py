"""
Timeseries anomaly detection with autoencoders.
1) Dense autoencoder on flattened windows
2) Conv1D / Conv1DTranspose autoencoder (keras.io style)
Data: synthetic sine wave + noise, with an injected spike in the test series.
"""
import numpy as np
import keras
from keras import layers
from keras.models import Sequential, Model
from keras.layers import Input, Dense, Dropout, Conv1D, Conv1DTranspose

TIME_STEPS = 24
np.random.seed(0)

# ---------------- synthetic data ----------------
t = np.arange(0, 240)
train_values = np.sin(t * 0.2) + np.random.normal(0, 0.05, size=t.shape)
test_values = np.sin(t[:120] * 0.2) + np.random.normal(0, 0.05, size=120)
test_values[60:66] += 2.5   # anomaly

training_mean = train_values.mean()
training_std = train_values.std()
train_norm = (train_values - training_mean) / training_std
test_norm = (test_values - training_mean) / training_std
print("Number of training samples:", len(train_norm))


# Generated training sequences for use in the model.
def create_sequences(values, time_steps=TIME_STEPS):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i: (i + time_steps)])
    return np.stack(output)


x_train = create_sequences(train_norm.reshape(-1, 1))
x_test = create_sequences(test_norm.reshape(-1, 1))
print("Training input shape: ", x_train.shape)
print("Test input shape: ", x_test.shape)

# ---------------- 1) dense autoencoder ----------------
x_train_flat = x_train.reshape(x_train.shape[0], -1)
x_test_flat = x_test.reshape(x_test.shape[0], -1)
input_dim = x_train_flat.shape[1]
encoding_dim = 8

input_layer = Input(shape=(input_dim,))
encoder = Dense(16, activation="tanh", activity_regularizer=keras.regularizers.l1(1e-5))(input_layer)
encoder = Dense(encoding_dim, activation="relu")(encoder)
decoder = Dense(16, activation="tanh")(encoder)
decoder = Dense(input_dim, activation="linear")(decoder)
dense_ae = Model(inputs=input_layer, outputs=decoder)
dense_ae.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
dense_ae.summary()
dense_ae.fit(x_train_flat, x_train_flat, epochs=1, batch_size=32, shuffle=True,
             validation_split=0.1, verbose=2)

x_train_pred_flat = dense_ae.predict(x_train_flat, verbose=0)
train_mae_dense = np.mean(np.abs(x_train_pred_flat - x_train_flat), axis=1)
threshold_dense = np.max(train_mae_dense)
print("Dense AE reconstruction error threshold:", threshold_dense)

x_test_pred_flat = dense_ae.predict(x_test_flat, verbose=0)
test_mae_dense = np.mean(np.abs(x_test_pred_flat - x_test_flat), axis=1)
print("Dense AE anomalies:", np.sum(test_mae_dense > threshold_dense))

# ---------------- 2) conv1d autoencoder ----------------
conv_ae = Sequential(
    [
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        Conv1D(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
        Dropout(rate=0.2),
        Conv1D(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
        Conv1DTranspose(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
        Dropout(rate=0.2),
        Conv1DTranspose(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
        Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
    ]
)
conv_ae.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
conv_ae.summary()

history = conv_ae.fit(
    x_train,
    x_train,
    epochs=1,
    batch_size=32,
    validation_split=0.1,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
    verbose=2,
)

# Get train MAE loss.
x_train_pred = conv_ae.predict(x_train, verbose=0)
train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
print("train_mae_loss shape:", train_mae_loss.shape)

# Get reconstruction loss threshold.
threshold = np.max(train_mae_loss)
print("Reconstruction error threshold: ", threshold)

x_test_pred = conv_ae.predict(x_test, verbose=0)
test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1)
test_mae_loss = test_mae_loss.reshape((-1))

anomalies = test_mae_loss > threshold
print("Number of anomaly samples: ", np.sum(anomalies))
print("Indices of anomaly samples: ", np.where(anomalies))

# data point i is anomalous if all windows covering it are anomalous
anomalous_data_indices = []
for data_idx in range(TIME_STEPS - 1, len(test_norm) - TIME_STEPS + 1):
    if np.all(anomalies[data_idx - TIME_STEPS + 1: data_idx]):
        anomalous_data_indices.append(data_idx)
print("anomalous points:", anomalous_data_indices)

# encoder half of the conv model
encoder_model = Model(conv_ae.inputs, conv_ae.layers[2].output)
codes = encoder_model.predict(x_test[:4], verbose=0)
print("latent codes shape:", codes.shape)
