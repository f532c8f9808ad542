"""ResNet for CIFAR-10, model subclassing API.

resnet.py from a small research repo: blocks configured by a list of
(filters, num_blocks, first_stride) stages.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class Config:
    input_shape = (32, 32, 3)
    num_classes = 10
    stem_filters = 16
    stages = [(16, 2, 1), (32, 2, 2), (64, 2, 2)]
    weight_decay = 1e-4
    batch_size = 16
    epochs = 1
    lr = 0.05


cfg = Config()


class ResidualBlock(layers.Layer):
    def __init__(self, filters, strides=1, weight_decay=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.strides = strides
        reg = keras.regularizers.l2(weight_decay)
        self.conv1 = layers.Conv2D(filters, 3, strides=strides, padding="same",
                                   use_bias=False, kernel_regularizer=reg)
        self.bn1 = layers.BatchNormalization()
        self.conv2 = layers.Conv2D(filters, 3, strides=1, padding="same",
                                   use_bias=False, kernel_regularizer=reg)
        self.bn2 = layers.BatchNormalization()
        self.weight_decay = weight_decay
        self.shortcut = None
        self.shortcut_bn = None

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if self.strides > 1 or in_channels != self.filters:
            # 1x1 projection shortcut
            self.shortcut = layers.Conv2D(self.filters, 1, strides=self.strides,
                                          use_bias=False,
                                          kernel_regularizer=keras.regularizers.l2(self.weight_decay))
            self.shortcut_bn = layers.BatchNormalization()
        super().build(input_shape)

    def call(self, inputs, training=False):
        x = self.conv1(inputs)
        x = self.bn1(x, training=training)
        x = tf.nn.relu(x)
        x = self.conv2(x)
        x = self.bn2(x, training=training)

        if self.shortcut is not None:
            sc = self.shortcut(inputs)
            sc = self.shortcut_bn(sc, training=training)
        else:
            sc = inputs
        return tf.nn.relu(x + sc)


class ResNet(keras.Model):
    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.stem_conv = layers.Conv2D(config.stem_filters, 3, padding="same", use_bias=False)
        self.stem_bn = layers.BatchNormalization()

        self.blocks = []
        for stage_idx, (filters, n_blocks, first_stride) in enumerate(config.stages):
            for b in range(n_blocks):
                strides = first_stride if b == 0 else 1
                self.blocks.append(
                    ResidualBlock(filters, strides=strides,
                                  weight_decay=config.weight_decay,
                                  name=f"stage{stage_idx}_block{b}")
                )

        self.pool = layers.GlobalAveragePooling2D()
        self.dropout = layers.Dropout(0.2)
        self.classifier = layers.Dense(config.num_classes)

    def build(self, input_shape):
        # keras 3 won't trace a subclassed model on build(); run a dummy
        # batch through so every sub-layer creates its weights.
        dummy = tf.zeros((1,) + tuple(input_shape[1:]))
        self.call(dummy, training=False)
        super().build(input_shape)

    def call(self, inputs, training=False):
        x = self.stem_conv(inputs)
        x = self.stem_bn(x, training=training)
        x = tf.nn.relu(x)
        for block in self.blocks:
            x = block(x, training=training)
        x = self.pool(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


# ---------------------------------------------------------------------------
# data: random stand-in for cifar10 (N, 32, 32, 3) uint8
# ---------------------------------------------------------------------------
N = 48
x_train = np.random.randint(0, 256, size=(N, 32, 32, 3)).astype(np.uint8)
y_train = np.random.randint(0, cfg.num_classes, size=(N, 1))
x_test = np.random.randint(0, 256, size=(16, 32, 32, 3)).astype(np.uint8)
y_test = np.random.randint(0, cfg.num_classes, size=(16, 1))

mean = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
std = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)
x_train = (x_train.astype(np.float32) / 255.0 - mean) / std
x_test = (x_test.astype(np.float32) / 255.0 - mean) / std
y_train = keras.utils.to_categorical(y_train, cfg.num_classes)
y_test = keras.utils.to_categorical(y_test, cfg.num_classes)

model = ResNet(cfg, name="resnet_cifar")
model.build((None,) + cfg.input_shape)
model.summary()

steps_per_epoch = int(np.ceil(N / cfg.batch_size))
schedule = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=steps_per_epoch * cfg.epochs)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics=["accuracy"],
)

model.fit(
    x_train, y_train,
    batch_size=cfg.batch_size,
    epochs=cfg.epochs,
    validation_data=(x_test, y_test),
    callbacks=[keras.callbacks.TerminateOnNaN()],
)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("test acc:", test_acc)

logits = model(x_test[:4], training=False)
print("logits:", logits.shape, "pred:", tf.argmax(logits, axis=-1).numpy())
for blk in model.blocks:
    print(blk.name, "projection" if blk.shortcut is not None else "identity")
