"""Neural style transfer building blocks (TF tutorial flavour).

VGG19 with random weights at a tiny resolution, intermediate layers picked by
name, Gram matrices via einsum, and a few optimisation steps on the image.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

H, W = 48, 64
STYLE_WEIGHT = 1e-2
CONTENT_WEIGHT = 1e4
TV_WEIGHT = 30
EPOCHS, STEPS_PER_EPOCH = 1, 3

content_layers = ['block5_conv2']
style_layers = ['block1_conv1',
                'block2_conv1',
                'block3_conv1',
                'block4_conv1',
                'block5_conv1']
num_content_layers = len(content_layers)
num_style_layers = len(style_layers)


def load_fake_img(h, w, seed):
    rng = np.random.default_rng(seed)
    img = rng.random((h, w, 3)).astype(np.float32)
    return img[np.newaxis, ...]


content_image = load_fake_img(H, W, 0)
style_image = load_fake_img(H, W, 1)
print("content", content_image.shape, "style", style_image.shape)


def vgg_layers(layer_names):
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(H, W, 3))
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layer_names]
    return keras.Model([vgg.input], outputs)


def gram_matrix(input_tensor):
    result = tf.linalg.einsum('bijc,bijd->bcd', input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
    return result / num_locations


class StyleContentModel(keras.models.Model):
    def __init__(self, style_layers, content_layers):
        super().__init__()
        self.vgg = vgg_layers(style_layers + content_layers)
        self.style_layers = style_layers
        self.content_layers = content_layers
        self.num_style_layers = len(style_layers)
        self.vgg.trainable = False

    def call(self, inputs):
        inputs = inputs * 255.0
        preprocessed = keras.applications.vgg19.preprocess_input(inputs)
        outputs = self.vgg(preprocessed)
        style_outputs, content_outputs = (outputs[:self.num_style_layers],
                                          outputs[self.num_style_layers:])
        style_outputs = [gram_matrix(o) for o in style_outputs]
        content_dict = {n: v for n, v in zip(self.content_layers, content_outputs)}
        style_dict = {n: v for n, v in zip(self.style_layers, style_outputs)}
        return {'content': content_dict, 'style': style_dict}


style_extractor = vgg_layers(style_layers)
style_outputs = style_extractor(style_image * 255)
for name, output in zip(style_layers, style_outputs):
    print(name)
    print("  shape: ", output.numpy().shape)
    print("  mean: ", output.numpy().mean())

extractor = StyleContentModel(style_layers, content_layers)
results = extractor(tf.constant(content_image))
for name, g in sorted(results['style'].items()):
    print("gram", name, g.shape)

style_targets = extractor(style_image)['style']
content_targets = extractor(content_image)['content']

image = tf.Variable(content_image)
opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)


def clip_0_1(image):
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


def style_content_loss(outputs):
    style_outputs = outputs['style']
    content_outputs = outputs['content']
    style_loss = tf.add_n([tf.reduce_mean((style_outputs[name] - style_targets[name]) ** 2)
                           for name in style_outputs.keys()])
    style_loss *= STYLE_WEIGHT / num_style_layers
    content_loss = tf.add_n([tf.reduce_mean((content_outputs[name] - content_targets[name]) ** 2)
                             for name in content_outputs.keys()])
    content_loss *= CONTENT_WEIGHT / num_content_layers
    return style_loss + content_loss


def high_pass_x_y(image):
    x_var = image[:, :, 1:, :] - image[:, :, :-1, :]
    y_var = image[:, 1:, :, :] - image[:, :-1, :, :]
    return x_var, y_var


x_deltas, y_deltas = high_pass_x_y(content_image)
print("deltas", x_deltas.shape, y_deltas.shape)


@tf.function()
def train_step(image):
    with tf.GradientTape() as tape:
        outputs = extractor(image)
        loss = style_content_loss(outputs)
        loss += TV_WEIGHT * tf.image.total_variation(image)
    grad = tape.gradient(loss, image)
    opt.apply_gradients([(grad, image)])
    image.assign(clip_0_1(image))
    return loss


step = 0
for n in range(EPOCHS):
    for m in range(STEPS_PER_EPOCH):
        step += 1
        loss = train_step(image)
        print("step", step, "loss", float(tf.squeeze(loss)))

out = np.array(image.numpy() * 255, dtype=np.uint8)
if np.ndim(out) > 3:
    assert out.shape[0] == 1
    out = out[0]
print("stylized", out.shape)
