"""Swin Transformer building blocks in Keras 3 (window partition, shifted windows,
relative position bias gathered with ops.take, patch merging).  Trains one epoch
on random 32x32 images just to make sure everything is wired up."""
import numpy as np
import keras
from keras import layers
from keras import ops

config = {"input_shape": (32, 32, 3), "patch_size": (2, 2), "num_classes": 10,
          "embed_dim": 32, "num_heads": 4, "window_size": 4, "shift_size": 2,
          "num_mlp": 64, "qkv_bias": True, "dropout_rate": 0.03}
num_patch_x = config["input_shape"][0] // config["patch_size"][0]
num_patch_y = config["input_shape"][1] // config["patch_size"][1]


def window_partition(x, window_size):
    _, height, width, channels = x.shape
    x = ops.reshape(x, (-1, height // window_size, window_size, width // window_size, window_size, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, window_size, window_size, channels))


def window_reverse(windows, window_size, height, width, channels):
    x = ops.reshape(windows, (-1, height // window_size, width // window_size, window_size, window_size, channels))
    x = ops.transpose(x, axes=(0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, channels))


class WindowAttention(layers.Layer):
    def __init__(self, dim, window_size, num_heads, qkv_bias=True, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.window_size, self.num_heads = window_size, num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = layers.Dense(dim * 3, use_bias=qkv_bias)
        self.dropout = layers.Dropout(dropout_rate)
        self.proj = layers.Dense(dim)

        coords = np.stack(np.meshgrid(np.arange(window_size[0]), np.arange(window_size[1]), indexing="ij"))
        coords_flatten = coords.reshape(2, -1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.transpose([1, 2, 0])
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        relative_position_index = relative_coords.sum(-1)
        self.relative_position_index = keras.Variable(
            initializer=relative_position_index, shape=relative_position_index.shape,
            dtype="int", trainable=False)

    def build(self, input_shape):
        num_window_elements = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = self.add_weight(
            shape=(num_window_elements, self.num_heads), initializer="zeros", trainable=True)
        self.built = True

    def call(self, x, mask=None):
        _, size, channels = x.shape
        head_dim = channels // self.num_heads
        x_qkv = self.qkv(x)
        x_qkv = ops.reshape(x_qkv, (-1, size, 3, self.num_heads, head_dim))
        x_qkv = ops.transpose(x_qkv, (2, 0, 3, 1, 4))
        q, k, v = x_qkv[0] * self.scale, x_qkv[1], x_qkv[2]
        attn = q @ ops.transpose(k, (0, 1, 3, 2))

        num_window_elements = self.window_size[0] * self.window_size[1]
        relative_position_index_flat = ops.reshape(self.relative_position_index, (-1,))
        relative_position_bias = ops.take(self.relative_position_bias_table, relative_position_index_flat, axis=0)
        relative_position_bias = ops.reshape(relative_position_bias, (num_window_elements, num_window_elements, -1))
        relative_position_bias = ops.transpose(relative_position_bias, (2, 0, 1))
        attn = attn + ops.expand_dims(relative_position_bias, axis=0)

        if mask is not None:
            nW = mask.shape[0]
            mask_float = ops.cast(ops.expand_dims(ops.expand_dims(mask, axis=1), axis=0), "float32")
            attn = ops.reshape(attn, (-1, nW, self.num_heads, size, size)) + mask_float
            attn = ops.reshape(attn, (-1, self.num_heads, size, size))
        attn = keras.activations.softmax(attn, axis=-1)
        attn = self.dropout(attn)

        x_qkv = ops.transpose(attn @ v, (0, 2, 1, 3))
        x_qkv = ops.reshape(x_qkv, (-1, size, channels))
        return self.dropout(self.proj(x_qkv))


class SwinTransformer(layers.Layer):
    def __init__(self, dim, num_patch, num_heads, window_size=7, shift_size=0,
                 num_mlp=1024, qkv_bias=True, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_patch, self.window_size, self.shift_size = num_patch, window_size, shift_size

        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = WindowAttention(dim, window_size=(self.window_size, self.window_size),
                                    num_heads=num_heads, qkv_bias=qkv_bias, dropout_rate=dropout_rate)
        self.drop_path = layers.Dropout(dropout_rate)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([layers.Dense(num_mlp), layers.Activation(keras.activations.gelu),
                                     layers.Dropout(dropout_rate), layers.Dense(dim), layers.Dropout(dropout_rate)])
        if min(self.num_patch) < self.window_size:
            self.shift_size = 0
            self.window_size = min(self.num_patch)

    def build(self, input_shape):
        if self.shift_size == 0:
            self.attn_mask = None
        else:
            height, width = self.num_patch
            slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                      slice(-self.shift_size, None))
            mask_array = np.zeros((1, height, width, 1))
            count = 0
            for h in slices:
                for w in slices:
                    mask_array[:, h, w, :] = count
                    count += 1
            # mask array to windows
            mask_windows = window_partition(ops.convert_to_tensor(mask_array), self.window_size)
            mask_windows = ops.reshape(mask_windows, [-1, self.window_size * self.window_size])
            attn_mask = ops.expand_dims(mask_windows, axis=1) - ops.expand_dims(mask_windows, axis=2)
            attn_mask = ops.where(attn_mask != 0, -100.0, 0.0)
            self.attn_mask = keras.Variable(attn_mask, trainable=False)

    def call(self, x, training=False):
        height, width = self.num_patch
        _, num_patches_before, channels = x.shape
        x_skip = x
        x = self.norm1(x)
        x = ops.reshape(x, (-1, height, width, channels))
        shifted_x = ops.roll(x, shift=[-self.shift_size, -self.shift_size], axis=[1, 2]) if self.shift_size > 0 else x

        x_windows = window_partition(shifted_x, self.window_size)
        x_windows = ops.reshape(x_windows, (-1, self.window_size * self.window_size, channels))
        attn_windows = self.attn(x_windows, mask=self.attn_mask)

        attn_windows = ops.reshape(attn_windows, (-1, self.window_size, self.window_size, channels))
        shifted_x = window_reverse(attn_windows, self.window_size, height, width, channels)
        x = ops.roll(shifted_x, shift=[self.shift_size, self.shift_size], axis=[1, 2]) if self.shift_size > 0 else shifted_x

        x = ops.reshape(x, (-1, height * width, channels))
        x = x_skip + self.drop_path(x, training=training)
        return x + self.drop_path(self.mlp(self.norm2(x)), training=training)


class PatchEmbedding(layers.Layer):
    def __init__(self, num_patch, embed_dim, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.num_patch, self.patch_size = num_patch, patch_size
        self.proj = layers.Dense(embed_dim)
        self.pos_embed = layers.Embedding(input_dim=num_patch, output_dim=embed_dim)

    def call(self, images):
        patches = ops.image.extract_patches(images, size=self.patch_size)
        patches = ops.reshape(patches, (-1, self.num_patch, patches.shape[-1]))
        pos = ops.arange(start=0, stop=self.num_patch)
        return self.proj(patches) + self.pos_embed(pos)


class PatchMerging(layers.Layer):
    def __init__(self, num_patch, embed_dim):
        super().__init__()
        self.num_patch = num_patch
        self.linear_trans = layers.Dense(2 * embed_dim, use_bias=False)

    def call(self, x):
        height, width = self.num_patch
        _, _, C = x.shape
        x = ops.reshape(x, (-1, height, width, C))
        x = ops.concatenate((x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :],
                             x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]), axis=-1)
        x = ops.reshape(x, (-1, (height // 2) * (width // 2), 4 * C))
        return self.linear_trans(x)


inputs = layers.Input(shape=config["input_shape"])
x = PatchEmbedding(num_patch_x * num_patch_y, config["embed_dim"], config["patch_size"][0])(inputs)
for shift in (0, config["shift_size"]):
    x = SwinTransformer(
        dim=config["embed_dim"], num_patch=(num_patch_x, num_patch_y),
        num_heads=config["num_heads"], window_size=config["window_size"], shift_size=shift,
        num_mlp=config["num_mlp"], qkv_bias=config["qkv_bias"], dropout_rate=config["dropout_rate"],
    )(x)
x = PatchMerging((num_patch_x, num_patch_y), embed_dim=config["embed_dim"])(x)
x = layers.GlobalAveragePooling1D()(x)
output = layers.Dense(config["num_classes"], activation="softmax")(x)
model = keras.Model(inputs, output)
print("merged tokens:", model.layers[-3].output.shape)

# sanity: partition/reverse are inverses
feat = np.random.rand(2, 16, 16, 8).astype("float32")
w = window_partition(ops.convert_to_tensor(feat), 4)
back = window_reverse(w, 4, 16, 16, 8)
print("windows:", w.shape, "roundtrip ok:", np.allclose(ops.convert_to_numpy(back), feat))

x_train = np.random.rand(64, 32, 32, 3).astype("float32")
y_train = keras.utils.to_categorical(np.random.randint(0, 10, 64), 10)
model.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
              optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
              metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=2)
print(model.predict(x_train[:3], verbose=0).shape)
