import numpy as np
import tensorflow as tf


class ConvBlock(tf.keras.layers.Layer):
    def __init__(self, filters, kernel_size=3, pool=True, **kwargs):
        super(ConvBlock, self).__init__(**kwargs)
        self.conv1 = tf.keras.layers.Conv2D(filters, kernel_size, padding='same')
        self.bn1 = tf.keras.layers.BatchNormalization()
        self.conv2 = tf.keras.layers.Conv2D(filters, kernel_size, padding='same')
        self.bn2 = tf.keras.layers.BatchNormalization()
        self.pool = tf.keras.layers.MaxPooling2D() if pool else None

    def call(self, x, training=False):
        x = tf.nn.relu(self.bn1(self.conv1(x), training=training))
        x = tf.nn.relu(self.bn2(self.conv2(x), training=training))
        if self.pool is not None:
            x = self.pool(x)
        return x


class Classifier(tf.keras.Model):
    def __init__(self, filters=(16, 32, 64), num_classes=10):
        super(Classifier, self).__init__()
        self.blocks = [ConvBlock(f, name=f"block_{i}") for i, f in enumerate(filters)]
        self.gap = tf.keras.layers.GlobalAveragePooling2D()
        self.dense = tf.keras.layers.Dense(128, activation='relu')
        self.drop = tf.keras.layers.Dropout(0.5)
        self.out = tf.keras.layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = inputs
        for block in self.blocks:
            x = block(x, training=training)
        x = self.gap(x)
        x = self.dense(x)
        x = self.drop(x, training=training)
        return self.out(x)


model = Classifier(filters=[8, 16, 32], num_classes=4)
model.build((None, 16, 16, 3))
model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x_train = np.random.rand(16, 16, 16, 3).astype(np.float32)
y_train = np.random.randint(0, 4, size=(16,))
model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=0)
logits = model(x_train[:2], training=False)
probs = tf.nn.softmax(logits)
top = tf.argmax(probs, axis=1)
