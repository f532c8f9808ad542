"""Custom training loop under tf.distribute.OneDeviceStrategy.

Everything that creates variables (model, optimizer, metrics) lives inside
strategy.scope(); the per-replica step is launched with strategy.run and the
loss is reduced with strategy.reduce. Same code would scale to MirroredStrategy.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

VOCAB = 200
SEQ_LEN = 24
NUM_CLASSES = 3
GLOBAL_BATCH = 32
EPOCHS = 2
STEPS_PER_EPOCH = 8

device = "/gpu:0" if tf.config.list_physical_devices("GPU") else "/cpu:0"
strategy = tf.distribute.OneDeviceStrategy(device=device)
print(f"strategy={type(strategy).__name__} device={device} "
      f"replicas={strategy.num_replicas_in_sync}")


def synthetic_sequences(n, seed):
    """Class k sequences are biased toward a specific band of token ids."""
    rs = np.random.RandomState(seed)
    labels = rs.randint(0, NUM_CLASSES, n)
    band = VOCAB // NUM_CLASSES
    seqs = rs.randint(1, VOCAB, size=(n, SEQ_LEN))
    mask = rs.rand(n, SEQ_LEN) < 0.4
    biased = labels[:, None] * band + rs.randint(1, band, size=(n, SEQ_LEN))
    seqs = np.where(mask, biased, seqs)
    # random padding at the end, 0 = pad
    lengths = rs.randint(SEQ_LEN // 2, SEQ_LEN + 1, n)
    seqs[np.arange(SEQ_LEN)[None, :] >= lengths[:, None]] = 0
    return seqs.astype("int32"), labels.astype("int32")


class MacroF1(keras.metrics.Metric):
    """Streaming macro-F1 from a confusion matrix held in a variable."""

    def __init__(self, num_classes, name="macro_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.cm = self.add_weight(
            name="cm", shape=(num_classes, num_classes), initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        y_true = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
        batch_cm = tf.math.confusion_matrix(
            y_true, y_pred, num_classes=self.num_classes, dtype=tf.float32
        )
        self.cm.assign_add(batch_cm)

    def result(self):
        tp = tf.linalg.diag_part(self.cm)
        precision = tf.math.divide_no_nan(tp, tf.reduce_sum(self.cm, axis=0))
        recall = tf.math.divide_no_nan(tp, tf.reduce_sum(self.cm, axis=1))
        f1 = tf.math.divide_no_nan(2 * precision * recall, precision + recall)
        return tf.reduce_mean(f1)

    def reset_state(self):
        self.cm.assign(tf.zeros_like(self.cm))


def build_classifier():
    inp = keras.Input((SEQ_LEN,), dtype="int32")
    x = keras.layers.Embedding(VOCAB, 32, mask_zero=True)(inp)
    x = keras.layers.Bidirectional(keras.layers.GRU(24))(x)
    x = keras.layers.Dropout(0.2)(x)
    out = keras.layers.Dense(NUM_CLASSES)(x)
    return keras.Model(inp, out)


x_tr, y_tr = synthetic_sequences(GLOBAL_BATCH * STEPS_PER_EPOCH, seed=0)
x_te, y_te = synthetic_sequences(96, seed=1)

train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
            .shuffle(512).batch(GLOBAL_BATCH).repeat())
test_ds = tf.data.Dataset.from_tensor_slices((x_te, y_te)).batch(GLOBAL_BATCH)
dist_train = strategy.experimental_distribute_dataset(train_ds)
dist_test = strategy.experimental_distribute_dataset(test_ds)

with strategy.scope():
    model = build_classifier()
    optimizer = keras.optimizers.Adam(learning_rate=2e-3, clipnorm=1.0)
    # reduction NONE so we can divide by the *global* batch ourselves
    loss_obj = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction=None
    )
    train_acc = keras.metrics.SparseCategoricalAccuracy(name="train_acc")
    test_f1 = MacroF1(NUM_CLASSES)
    test_acc = keras.metrics.SparseCategoricalAccuracy(name="test_acc")


def compute_loss(labels, logits):
    per_example = loss_obj(labels, logits)
    return tf.nn.compute_average_loss(per_example, global_batch_size=GLOBAL_BATCH)


def train_step(inputs):
    x, y = inputs
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = compute_loss(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_acc.update_state(y, logits)
    return loss


def test_step(inputs):
    x, y = inputs
    logits = model(x, training=False)
    test_f1.update_state(y, logits)
    test_acc.update_state(y, logits)


@tf.function
def distributed_train_step(batch):
    per_replica = strategy.run(train_step, args=(batch,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


@tf.function
def distributed_test_step(batch):
    strategy.run(test_step, args=(batch,))


train_iter = iter(dist_train)
for epoch in range(EPOCHS):
    total = 0.0
    for step in range(STEPS_PER_EPOCH):
        total += float(distributed_train_step(next(train_iter)))
    for batch in dist_test:
        distributed_test_step(batch)
    print(f"epoch {epoch + 1}: loss={total / STEPS_PER_EPOCH:.4f} "
          f"train_acc={train_acc.result():.3f} test_acc={test_acc.result():.3f} "
          f"test_macro_f1={test_f1.result():.3f}")
    for m in (train_acc, test_acc, test_f1):
        m.reset_state()

placements = sorted({v.value.device.split("/")[-1] for v in model.weights})
print("variables placed on:", placements)
print(f"optimizer iterations: {int(optimizer.iterations.numpy())}")
