"""DeepFM for ad click prediction, backend-agnostic (keras.ops only).

Fields are label-encoded ints packed into a single (batch, num_fields)
tensor with per-field offsets so one shared embedding table can be used,
which is how most DeepFM/xDeepFM repos do it. The FM component computes the
second-order term with the O(kn) "square of sum minus sum of squares" trick.
Also shows a custom train_step override with an L2 penalty on the
embeddings that were actually looked up in the batch.
"""
import numpy as np
import keras
from keras import ops, layers
import tensorflow as tf

keras.utils.set_random_seed(2024)

FIELD_DIMS = [30, 12, 7, 24, 50, 5, 100, 16]  # cardinalities per sparse field
NUM_DENSE = 4
EMB_DIM = 10
HIDDEN = (128, 64)
L2_EMB = 1e-5
BATCH = 256
N_TRAIN = 4096


class FeaturesEmbedding(layers.Layer):
    """Shared table; field i's ids are shifted by sum(field_dims[:i])."""

    def __init__(self, field_dims, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.field_dims = list(field_dims)
        self.embed_dim = embed_dim
        self.offsets = np.concatenate([[0], np.cumsum(self.field_dims)[:-1]]).astype("int32")
        self.embedding = layers.Embedding(
            sum(self.field_dims), embed_dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.01),
        )

    def call(self, x):
        x = ops.cast(x, "int32") + ops.convert_to_tensor(self.offsets)[None, :]
        return self.embedding(x)  # (B, F, K)


class FeaturesLinear(layers.Layer):
    """First-order term: sum_i w_{x_i} + bias (an Embedding with output dim 1)."""

    def __init__(self, field_dims, **kwargs):
        super().__init__(**kwargs)
        self.emb = FeaturesEmbedding(field_dims, 1)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(1,), initializer="zeros", name="bias")

    def call(self, x):
        return ops.sum(self.emb(x), axis=1) + self.bias  # (B, 1)


class FactorizationMachine(layers.Layer):
    """0.5 * sum_k[(sum_i v_ik)^2 - sum_i v_ik^2]"""

    def __init__(self, reduce_sum=True, **kwargs):
        super().__init__(**kwargs)
        self.reduce_sum = reduce_sum

    def call(self, v):
        square_of_sum = ops.square(ops.sum(v, axis=1))   # (B, K)
        sum_of_square = ops.sum(ops.square(v), axis=1)   # (B, K)
        ix = 0.5 * (square_of_sum - sum_of_square)
        if self.reduce_sum:
            ix = ops.sum(ix, axis=1, keepdims=True)      # (B, 1)
        return ix


class DeepFM(keras.Model):
    def __init__(self, field_dims, num_dense, embed_dim, hidden_units, dropout=0.2, **kw):
        super().__init__(**kw)
        self.num_fields = len(field_dims)
        self.embedding = FeaturesEmbedding(field_dims, embed_dim, name="shared_emb")
        self.linear = FeaturesLinear(field_dims, name="linear")
        self.fm = FactorizationMachine(name="fm")
        # dense features get their own "embedding" vector so they join the FM
        self.dense_proj = layers.Dense(embed_dim, use_bias=False, name="dense_as_field")
        self.dense_linear = layers.Dense(1, use_bias=False, name="dense_linear")
        self.dnn = keras.Sequential(name="dnn")
        for units in hidden_units:
            self.dnn.add(layers.Dense(units))
            self.dnn.add(layers.BatchNormalization())
            self.dnn.add(layers.Activation("relu"))
            self.dnn.add(layers.Dropout(dropout))
        self.dnn.add(layers.Dense(1))

    def call(self, inputs, training=False, return_embeddings=False):
        sparse, dense = inputs["sparse"], inputs["dense"]
        v = self.embedding(sparse)                                   # (B, F, K)
        v_dense = ops.expand_dims(self.dense_proj(dense), axis=1)    # (B, 1, K)
        v_all = ops.concatenate([v, v_dense], axis=1)               # (B, F+1, K)

        first_order = self.linear(sparse) + self.dense_linear(dense)
        second_order = self.fm(v_all)
        deep_in = ops.reshape(v_all, (-1, (self.num_fields + 1) * v_all.shape[-1]))
        deep = self.dnn(deep_in, training=training)
        logit = first_order + second_order + deep
        if return_embeddings:
            return logit, v
        return logit

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logit, v = self(x, training=True, return_embeddings=True)
            loss = self.compute_loss(x=x, y=y, y_pred=logit)
            # lazily-regularized embeddings: penalize only rows that were used
            loss = loss + L2_EMB * ops.sum(ops.square(v)) / ops.cast(ops.shape(v)[0], "float32")
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, logit)
        return {m.name: m.result() for m in self.metrics}


def synth(n, seed):
    r = np.random.default_rng(seed)
    sparse = np.stack([r.integers(0, d, n) for d in FIELD_DIMS], axis=1).astype("int32")
    dense = r.standard_normal((n, NUM_DENSE)).astype("float32")
    # planted pairwise interactions between fields (0,3) and (2,6)
    inter = np.sin(sparse[:, 0] * 0.7) * np.cos(sparse[:, 3] * 0.4) + 0.5 * ((sparse[:, 2] + sparse[:, 6]) % 3 == 0)
    z = inter + 0.4 * dense[:, 0] - 0.3
    y = (r.random(n) < 1 / (1 + np.exp(-2 * z))).astype("float32")[:, None]
    return {"sparse": sparse, "dense": dense}, y


x_train, y_train = synth(N_TRAIN, 0)
x_val, y_val = synth(1024, 1)

model = DeepFM(FIELD_DIMS, NUM_DENSE, EMB_DIM, HIDDEN, name="deepfm")
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.AUC(from_logits=True, name="auc"),
             keras.metrics.BinaryCrossentropy(from_logits=True, name="logloss")],
)
# build with a tiny batch so summary() can show shapes
_ = model({"sparse": x_train["sparse"][:2], "dense": x_train["dense"][:2]})
model.summary()

model.fit(x_train, y_train, batch_size=BATCH, epochs=1,
          validation_data=(x_val, y_val), verbose=2)

# sanity check: FM trick equals the explicit O(n^2 k) pairwise sum
v = ops.convert_to_numpy(model.embedding(x_val["sparse"][:4]))
explicit = np.zeros((4, 1), dtype="float32")
for i in range(v.shape[1]):
    for j in range(i + 1, v.shape[1]):
        explicit[:, 0] += np.sum(v[:, i] * v[:, j], axis=-1)
fast = ops.convert_to_numpy(FactorizationMachine()(v))
print("FM trick max abs err:", float(np.abs(fast - explicit).max()))
print("embedding table:", model.embedding.embedding.embeddings.shape)
