import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Trainer:
    """Wraps model construction + training, like many research repos do."""

    def __init__(self, input_shape=(32, 32, 3), num_classes=5, base_filters=16, depth=3,
                 dropout=0.3, lr=1e-3):
        self.input_shape = input_shape
        self.num_classes = num_classes
        self.base_filters = base_filters
        self.depth = depth
        self.dropout = dropout
        self.lr = lr
        self.model = None

    def _conv_block(self, x, filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
        return x

    def build(self):
        inp = keras.Input(shape=self.input_shape, name="image")
        x = layers.Rescaling(1.0 / 255)(inp)
        for d in range(self.depth):
            x = self._conv_block(x, self.base_filters * 2 ** d)
        self.feature_map = x
        x = layers.Flatten()(x)
        x = layers.Dense(64, activation="relu")(x)
        x = layers.Dropout(self.dropout)(x)
        out = layers.Dense(self.num_classes, activation="softmax")(x)
        self.model = keras.Model(inp, out)
        return self.model

    def compile(self):
        self.model.compile(optimizer=keras.optimizers.Adam(self.lr),
                           loss="sparse_categorical_crossentropy", metrics=["acc"])

    def train(self, x, y, epochs=1):
        return self.model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)

    def predict(self, x):
        return self.model.predict(x, verbose=0)


class BigTrainer(Trainer):
    def __init__(self, **kw):
        super().__init__(input_shape=(48, 48, 1), depth=4, **kw)


trainer = Trainer(num_classes=7)
trainer.build()
trainer.compile()
x = np.random.randint(0, 256, (16, 32, 32, 3)).astype("float32")
y = np.random.randint(0, 7, (16,))
trainer.train(x, y)
preds = trainer.predict(x[:2])

big = BigTrainer(base_filters=8)
big_model = big.build()
big_out = big_model(np.zeros((1, 48, 48, 1), "float32"))
