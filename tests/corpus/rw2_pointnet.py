# PointNet point-cloud classification (ModelNet-style, random data)
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

tf.random.set_seed(1234)

NUM_POINTS = 128
NUM_CLASSES = 5
BATCH_SIZE = 8
N_SAMPLES = 32

CLASS_MAP = {i: name for i, name in enumerate(["bed", "chair", "desk", "sofa", "table"])}

# Fake "sampled meshes": random points on scaled unit spheres per class
train_points = []
train_labels = []
for i in range(N_SAMPLES):
    label = i % NUM_CLASSES
    pts = np.random.normal(size=(NUM_POINTS, 3))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    pts *= 1.0 + 0.2 * label
    train_points.append(pts)
    train_labels.append(label)
train_points = np.array(train_points, dtype="float32")
train_labels = np.array(train_labels)
test_points = train_points[:16] + np.random.normal(scale=0.01, size=(16, NUM_POINTS, 3)).astype("float32")
test_labels = train_labels[:16]


def augment(points, label):
    # jitter points
    points += tf.random.uniform(points.shape, -0.005, 0.005, dtype=tf.float32)
    # shuffle points
    points = tf.random.shuffle(points)
    return points, label


train_dataset = tf.data.Dataset.from_tensor_slices((train_points, train_labels))
test_dataset = tf.data.Dataset.from_tensor_slices((test_points, test_labels))

train_dataset = train_dataset.shuffle(len(train_points)).map(augment).batch(BATCH_SIZE)
test_dataset = test_dataset.batch(BATCH_SIZE)


def conv_bn(x, filters):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def dense_bn(x, filters):
    x = layers.Dense(filters)(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = tf.eye(num_features)

    def __call__(self, x):
        x = tf.reshape(x, (-1, self.num_features, self.num_features))
        xxt = tf.tensordot(x, x, axes=(2, 2))
        xxt = tf.reshape(xxt, (-1, self.num_features, self.num_features))
        return tf.reduce_sum(self.l2reg * tf.square(xxt - self.eye))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def tnet(inputs, num_features):
    # Initialise bias as the identity matrix
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

    x = conv_bn(inputs, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 256)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 128)
    x = dense_bn(x, 64)
    x = layers.Dense(
        num_features * num_features,
        kernel_initializer="zeros",
        bias_initializer=bias,
        activity_regularizer=reg,
    )(x)
    feat_T = layers.Reshape((num_features, num_features))(x)
    # Apply affine transformation to input features
    return layers.Dot(axes=(2, 1))([inputs, feat_T])


inputs = keras.Input(shape=(NUM_POINTS, 3))

x = tnet(inputs, 3)
x = conv_bn(x, 32)
x = conv_bn(x, 32)
x = tnet(x, 32)
x = conv_bn(x, 32)
x = conv_bn(x, 64)
x = conv_bn(x, 256)
x = layers.GlobalMaxPooling1D()(x)
x = dense_bn(x, 128)
x = layers.Dropout(0.3)(x)
x = dense_bn(x, 64)
x = layers.Dropout(0.3)(x)

outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")
model.summary()

model.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    metrics=["sparse_categorical_accuracy"],
)

model.fit(train_dataset, epochs=1, validation_data=test_dataset, verbose=2)

data = test_dataset.take(1)
points, labels = list(data)[0]
points = points[:8, ...]
labels = labels[:8, ...]

# run test data through model
preds = model.predict(points, verbose=0)
preds = tf.math.argmax(preds, -1)
for i in range(4):
    print(
        "pred: {:s}, label: {:s}".format(
            CLASS_MAP[preds[i].numpy()], CLASS_MAP[labels.numpy()[i]]
        )
    )


# ---------------------------------------------------------------------------
# Alternative T-Net wiring as a subclassed layer using tf.matmul
# ---------------------------------------------------------------------------
class TNet(layers.Layer):
    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k
        self.c1 = layers.Conv1D(32, 1, activation="relu")
        self.c2 = layers.Conv1D(64, 1, activation="relu")
        self.pool = layers.GlobalMaxPooling1D()
        self.fc = layers.Dense(32, activation="relu")
        self.out = layers.Dense(
            k * k, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(np.eye(k).flatten())
        )

    def call(self, x):
        t = self.c2(self.c1(x))
        t = self.fc(self.pool(t))
        t = self.out(t)
        t = tf.reshape(t, (-1, self.k, self.k))
        return tf.matmul(x, t)


def small_pointnet(num_points=NUM_POINTS, k=3):
    pts = layers.Input(shape=(num_points, k), name="points")
    h = TNet(k, name="input_transform")(pts)
    for f in (32, 64):
        h = layers.Conv1D(f, 1)(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
    h = TNet(64, name="feature_transform")(h)
    h = layers.Conv1D(128, 1, activation="relu")(h)
    global_feat = layers.GlobalMaxPooling1D(name="global_feature")(h)
    h = layers.Dense(64, activation="relu")(global_feat)
    logits = layers.Dense(NUM_CLASSES)(h)
    return keras.Model(pts, logits, name="pointnet_small")


small = small_pointnet()
small.summary()
small.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
small.fit(train_points, train_labels, batch_size=BATCH_SIZE, epochs=1, verbose=2)
print(small.evaluate(test_points, test_labels, verbose=0))
