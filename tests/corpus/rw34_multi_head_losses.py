# Face attributes from one image: age (regression), gender (binary), ethnicity (5 classes)
# plus a landmark head whose targets are stored flat (10 numbers) but the model outputs (5, 2).
# Outputs are returned as a list -> losses/loss_weights as lists in the same order.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 48
N = 32


def landmark_loss(y_true, y_pred):
    # y_true: (batch, 10) flat x1,y1,x2,y2,... ; y_pred: (batch, 5, 2)
    y_true = tf.reshape(y_true, (-1, 5, 2))
    dist = tf.sqrt(tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) + 1e-8)
    return tf.reduce_mean(dist, axis=-1)


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    return layers.MaxPool2D()(x)


def get_model():
    inp = keras.Input(shape=(IMG, IMG, 1))
    x = inp
    for f in (16, 32, 64):
        x = conv_block(x, f)
    feat = layers.GlobalAveragePooling2D()(x)

    age = layers.Dense(32, activation="relu")(feat)
    age = layers.Dense(1, name="age")(age)

    gender = layers.Dense(1, activation="sigmoid", name="gender")(feat)

    eth = layers.Dense(32, activation="relu")(feat)
    eth = layers.Dense(5, activation="softmax", name="ethnicity")(eth)

    lm = layers.Dense(10)(feat)
    lm = layers.Reshape((5, 2), name="landmarks")(lm)

    return keras.Model(inputs=inp, outputs=[age, gender, eth, lm])


images = np.random.rand(N, IMG, IMG, 1).astype(np.float32)
y_age = np.random.uniform(1, 90, size=(N, 1)).astype(np.float32) / 100.0
y_gender = np.random.randint(0, 2, size=(N, 1))
y_eth = np.random.randint(0, 5, size=(N,))
y_lm = np.random.rand(N, 10).astype(np.float32)

model = get_model()
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=["mse", "binary_crossentropy", "sparse_categorical_crossentropy", landmark_loss],
    loss_weights=[4.0, 0.1, 1.5, 1.0],
    metrics=[["mae"], ["accuracy"], ["accuracy"], []],
)

hist = model.fit(images, [y_age, y_gender, y_eth, y_lm],
                 batch_size=8, epochs=1, verbose=0)
for k, v in hist.history.items():
    print(f"{k}: {v[-1]:.4f}")

# prediction comes back as a list too
age_p, gender_p, eth_p, lm_p = model.predict(images[:3], verbose=0)
for i in range(3):
    print(f"#{i}: age~{age_p[i, 0] * 100:.0f} male={gender_p[i, 0] > 0.5} "
          f"eth={eth_p[i].argmax()} first landmark={lm_p[i, 0].round(2)}")

# same thing with a tf.data pipeline and targets as a tuple
ds = (tf.data.Dataset.from_tensor_slices((images, (y_age, y_gender, y_eth, y_lm)))
      .map(lambda im, t: (tf.image.random_flip_left_right(im), t))
      .batch(8))
res = model.evaluate(ds, verbose=0, return_dict=True)
print("eval total loss:", round(res["loss"], 4))
