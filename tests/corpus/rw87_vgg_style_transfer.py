"""Neural style transfer (Gatys et al.) with a VGG19 feature extractor.

The classic "optimise the pixels" approach: build a multi-output model that
returns style (Gram matrices) and content activations, then run gradient
descent on the image itself. VGG19 is instantiated with weights=None here so
that the script is runnable offline; swap in weights="imagenet" for real use.
"""
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
import tensorflow as tf


@dataclass
class StyleTransferConfig:
    image_size: int = 64
    content_layers: List[str] = field(default_factory=lambda: ["block5_conv2"])
    style_layers: List[str] = field(default_factory=lambda: [
        "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1",
    ])
    style_weight: float = 1e-2
    content_weight: float = 1e4
    total_variation_weight: float = 30.0
    learning_rate: float = 0.02
    steps: int = 5
    vgg_weights: str = None  # "imagenet" when you have the weights cached


def gram_matrix(input_tensor):
    """G_cd = sum_ij F_ijc F_ijd / (H*W)."""
    result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
    return result / num_locations


def vgg_layers(layer_names, weights=None):
    """Creates a VGG model that returns a list of intermediate output values."""
    vgg = tf.keras.applications.VGG19(include_top=False, weights=weights)
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layer_names]
    return tf.keras.Model([vgg.input], outputs)


class StyleContentModel(tf.keras.models.Model):
    def __init__(self, style_layers, content_layers, weights=None):
        super().__init__()
        self.vgg = vgg_layers(style_layers + content_layers, weights)
        self.style_layers = style_layers
        self.content_layers = content_layers
        self.num_style_layers = len(style_layers)
        self.vgg.trainable = False

    def call(self, inputs):
        "Expects float input in [0,1]"
        inputs = inputs * 255.0
        preprocessed_input = tf.keras.applications.vgg19.preprocess_input(inputs)
        outputs = self.vgg(preprocessed_input)
        style_outputs, content_outputs = (outputs[:self.num_style_layers],
                                          outputs[self.num_style_layers:])

        style_outputs = [gram_matrix(style_output) for style_output in style_outputs]

        content_dict = {name: value for name, value in zip(self.content_layers, content_outputs)}
        style_dict = {name: value for name, value in zip(self.style_layers, style_outputs)}
        return {"content": content_dict, "style": style_dict}


def clip_0_1(image):
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


def high_pass_x_y(image):
    x_var = image[:, :, 1:, :] - image[:, :, :-1, :]
    y_var = image[:, 1:, :, :] - image[:, :-1, :, :]
    return x_var, y_var


def style_content_loss(outputs: Dict, targets: Dict, cfg: StyleTransferConfig):
    style_outputs = outputs["style"]
    content_outputs = outputs["content"]
    style_loss = tf.add_n([tf.reduce_mean((style_outputs[name] - targets["style"][name]) ** 2)
                           for name in style_outputs.keys()])
    style_loss *= cfg.style_weight / len(cfg.style_layers)

    content_loss = tf.add_n([tf.reduce_mean((content_outputs[name] - targets["content"][name]) ** 2)
                             for name in content_outputs.keys()])
    content_loss *= cfg.content_weight / len(cfg.content_layers)
    return style_loss + content_loss


def make_images(size):
    """A stripe-y 'style' image and a blobby 'content' image."""
    xs = np.linspace(-1, 1, size, dtype=np.float32)
    xx, yy = np.meshgrid(xs, xs)
    style = np.stack([0.5 + 0.5 * np.sin(12 * xx + 4 * yy),
                      0.5 + 0.5 * np.cos(9 * yy),
                      0.5 + 0.5 * np.sin(7 * (xx + yy))], axis=-1)
    content = np.stack([np.exp(-4 * (xx ** 2 + yy ** 2)),
                        np.clip(xx + 0.5, 0, 1),
                        np.clip(1.0 - np.abs(yy), 0, 1)], axis=-1)
    return (tf.constant(content[None], tf.float32), tf.constant(style[None], tf.float32))


def run_style_transfer(cfg: StyleTransferConfig):
    content_image, style_image = make_images(cfg.image_size)
    extractor = StyleContentModel(cfg.style_layers, cfg.content_layers, cfg.vgg_weights)

    results = extractor(tf.constant(content_image))
    print("Styles:")
    for name, output in sorted(results["style"].items()):
        print(f"  {name:14s} gram shape: {tuple(output.shape)}")
    print("Contents:")
    for name, output in sorted(results["content"].items()):
        print(f"  {name:14s} shape: {tuple(output.shape)}")

    targets = {
        "style": extractor(style_image)["style"],
        "content": extractor(content_image)["content"],
    }

    image = tf.Variable(content_image)
    opt = tf.keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=0.99, epsilon=1e-1)

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            outputs = extractor(image)
            loss = style_content_loss(outputs, targets, cfg)
            loss += cfg.total_variation_weight * tf.image.total_variation(image)[0]
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(clip_0_1(image))
        return loss

    for step in range(cfg.steps):
        loss = train_step(image)
        print(f"step {step + 1}: loss={float(loss):.4e}")

    x_deltas, y_deltas = high_pass_x_y(image)
    print("mean |dx|, |dy| after optimisation:",
          float(tf.reduce_mean(tf.abs(x_deltas))), float(tf.reduce_mean(tf.abs(y_deltas))))
    return image


if __name__ == "__main__":
    config = StyleTransferConfig()
    stylized = run_style_transfer(config)
    out = tf.image.convert_image_dtype(stylized[0], tf.uint8, saturate=True)
    print("stylized image:", out.shape, out.dtype)
