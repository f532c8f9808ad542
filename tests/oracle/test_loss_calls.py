"""Keras losses called on tensors (custom training loops): the engine flags exactly the pairs
Keras 3 rejects, and otherwise gives the loss's shape and dtype as TF computes them."""

import pytest

from oracle.harness import assert_agrees, compare, run_engine, run_real

L = "keras.losses"
CASES = [
    # loss, y_true, y_pred
    (f"{L}.BinaryCrossentropy()", "tf.zeros((4, 24, 24, 1))", "tf.zeros((4, 23, 23, 1))"),
    (f"{L}.BinaryCrossentropy()", "tf.zeros((4, 1))", "tf.zeros((8, 1))"),
    (f"{L}.BinaryCrossentropy()", "tf.zeros((8,))", "tf.zeros((8, 1))"),
    (f"{L}.BinaryCrossentropy()", "tf.zeros((8,))", "tf.zeros((8, 3))"),
    (f"{L}.BinaryCrossentropy(reduction='sum')", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.BinaryCrossentropy()", "np.zeros((8, 5))", "np.zeros((8, 5))"),
    (f"{L}.BinaryCrossentropy(dtype='float16')", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.SparseCategoricalCrossentropy(from_logits=True)", "tf.zeros((8,), tf.int32)", "tf.zeros((8, 10))"),
    (f"{L}.SparseCategoricalCrossentropy()", "tf.zeros((8, 1))", "tf.zeros((8, 10))"),
    (f"{L}.SparseCategoricalCrossentropy()", "tf.zeros((16,))", "tf.zeros((8, 10))"),
    (f"{L}.SparseCategoricalCrossentropy()", "tf.zeros((8, 10))", "tf.zeros((8, 10))"),
    (f"{L}.SparseCategoricalCrossentropy()", "tf.zeros((2, 7), tf.int32)", "tf.zeros((2, 7, 10))"),
    (f"{L}.SparseCategoricalCrossentropy()", "tf.zeros((2, 6), tf.int32)", "tf.zeros((2, 7, 10))"),
    (f"{L}.SparseCategoricalCrossentropy(reduction=None)", "tf.zeros((2, 7), tf.int32)", "tf.zeros((2, 7, 10))"),
    (f"{L}.CategoricalCrossentropy()", "tf.zeros((8, 5))", "tf.zeros((8, 6))"),
    (f"{L}.CategoricalCrossentropy()", "tf.zeros((4, 5))", "tf.zeros((8, 5))"),
    (f"{L}.CategoricalCrossentropy(reduction=None)", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.CategoricalCrossentropy(reduction='none')", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.MeanSquaredError()", "tf.zeros((8,))", "tf.zeros((8, 3))"),
    (f"{L}.MeanSquaredError()", "tf.zeros((8, 1))", "tf.zeros((8,))"),
    (f"{L}.MeanSquaredError()", "tf.zeros((4, 3))", "tf.zeros((8, 3))"),
    (f"{L}.MeanSquaredError()", "tf.zeros((8, 1))", "tf.zeros((8, 3))"),
    (f"{L}.MeanSquaredError(reduction=None)", "tf.zeros((2, 7, 3))", "tf.zeros((2, 7, 3))"),
    (f"{L}.MeanAbsoluteError(reduction=None)", "tf.zeros((8, 1))", "tf.zeros((8, 3))"),
    # the functions: one loss per sample, in the predictions' dtype; no squeeze for crossentropy
    (f"{L}.binary_crossentropy", "np.zeros((4, 3))", "np.zeros((4, 3))"),
    (f"{L}.binary_crossentropy", "tf.zeros((4, 3))", "tf.zeros((4, 2))"),
    (f"{L}.binary_crossentropy", "tf.zeros((8,))", "tf.zeros((8, 1))"),
    (f"{L}.sparse_categorical_crossentropy", "tf.zeros((8,), tf.int32)", "tf.zeros((8, 10))"),
    (f"{L}.sparse_categorical_crossentropy", "tf.zeros((8,), tf.int32)", "np.zeros((8, 10))"),
    (f"{L}.sparse_categorical_crossentropy", "tf.zeros((9,), tf.int32)", "tf.zeros((8, 10))"),
    (f"{L}.categorical_crossentropy", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.categorical_crossentropy", "tf.zeros((8, 5))", "tf.zeros((8, 6))"),
    (f"{L}.mean_squared_error", "tf.zeros((8, 5))", "tf.zeros((8, 5))"),
    (f"{L}.mean_squared_error", "tf.zeros((8,))", "tf.zeros((8, 1))"),
    (f"{L}.mean_squared_error", "tf.zeros((8, 4))", "tf.zeros((8, 5))"),
    (f"{L}.mean_absolute_error", "tf.zeros((8, 1, 5))", "tf.zeros((8, 3, 5))"),
]


@pytest.mark.parametrize(("loss", "y_true", "y_pred"), CASES)
def test_a_loss_called_on_tensors(loss: str, y_true: str, y_pred: str) -> None:
    src = f"""
    loss_fn = {loss}
    value = loss_fn({y_true}, {y_pred})
    """
    real = run_real(src, ["value"])
    if real.error is not None:
        errors = run_engine(src).errors
        assert errors, f"TF raised {real.error!r}; the engine said nothing"
        assert "y_true" in errors[0] and "y_pred" in errors[0], errors
    else:
        assert_agrees(src, ["value"])


def test_a_custom_training_step_with_a_mismatched_loss_is_flagged() -> None:
    """The model's output lost a voxel on each side (a 2-wide valid kernel): the loss in the
    traced training step fails, and the engine says so there, naming both shapes."""
    src = """
    inputs = keras.Input((8, 8, 1))
    outputs = layers.Conv2D(1, {kernel}, activation="sigmoid")(inputs)
    model = keras.Model(inputs, outputs)
    bce = keras.losses.BinaryCrossentropy()
    opt = keras.optimizers.Adam()

    def total_loss(y, p):
        return bce(y, p) + 0.0

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = total_loss(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    ds = tf.data.Dataset.from_tensor_slices((np.zeros((8, 8, 8, 1), "float32"),) * 2).batch(4)
    for xb, yb in ds:
        last = train_step(xb, yb)
    """
    ok = src.replace("{kernel}", "1")
    assert run_real(ok, ["last"]).error is None
    assert_agrees(ok, ["last"])
    bad = src.replace("{kernel}", "2")
    assert run_real(bad, ["last"]).error is not None
    errors = run_engine(bad).errors
    assert errors and "(4, 8, 8, 1)" in errors[0] and "(4, 7, 7, 1)" in errors[0], errors


def test_a_loss_on_symbolic_tensors_is_left_alone() -> None:
    """While a model is built its tensors are symbolic: nothing is said about such a call."""
    src = """
    inp = keras.Input((4,))
    out = layers.Dense(3)(inp)
    try:
        value = keras.losses.MeanSquaredError()(inp, out)
    except Exception:
        value = None
    """
    assert not run_engine(src).errors


def test_loss_class_parameters_are_keras_own() -> None:
    """The constructor parameters the engine accepts for each loss class (anything else is
    flagged as a TypeError) are exactly Keras', in order."""
    import inspect

    import keras

    from shapelens.core.checks import _LOSS_CLASSES

    for cls, (_name, params) in _LOSS_CLASSES.items():
        real = [p for p in inspect.signature(getattr(keras.losses, cls).__init__).parameters if p != "self"]
        assert list(params) == real, cls


@pytest.mark.parametrize(
    ("loss", "exact"),
    [
        ("keras.losses.Huber(delta=0.5)", True),
        ("keras.losses.KLDivergence()", True),
        ("keras.losses.BinaryFocalCrossentropy(gamma=2.0)", True),
        ("keras.losses.CosineSimilarity(axis=-1)", True),
        ("keras.losses.LogCosh()", True),
        ("keras.losses.KLDivergence(reduction='sum')", True),
        ("keras.losses.Huber(1.0, None)", False),  # unreduced, given positionally
    ],
)
def test_other_losses_give_their_scalar(loss: str, exact: bool) -> None:
    """Other loss objects: their value (a scalar unless unreduced), never a check."""
    src = f"""
    loss_fn = {loss}
    value = loss_fn(tf.ones((8, 5)) * 0.5, tf.ones((8, 5)) * 0.25)
    """
    verdict = compare(src, ["value"])
    assert verdict.ok, verdict.detail
    assert verdict.exact is exact
