"""Targets against the compiled loss at fit(): the engine reports exactly the combinations
Keras 3 rejects and stays quiet on the ones it accepts."""

import pytest

from oracle.harness import run_engine, run_real


def assert_flagged_iff_keras_rejects(src: str) -> None:
    real = run_real(src)
    engine = run_engine(src)
    if real.error is None:
        assert not engine.errors, engine.errors
    else:
        assert engine.errors, f"TF raised {real.error!r}; the engine said nothing"

CASES = [
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16,)"),
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16, 1)"),
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16, 5)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16, 2)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16, 3)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16, 1)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16, 2, 1)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((3, 1))", "(16, 2)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16,)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 1)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 3)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 5)"),
    ("binary_crossentropy", "layers.Dense(1)", "(16,)"),
    ("binary_crossentropy", "layers.Dense(1)", "(16, 3)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16, 2, 2)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16, 4, 1)"),
    ("binary_crossentropy", "layers.Dense(2)", "(16,)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("categorical_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("categorical_crossentropy", "layers.Reshape((1, 4))", "(16, 1)"),
    # Keras squeezes or expands an axis of 1 so both sides have the same rank
    ("categorical_crossentropy", "layers.Dense(1)", "(16,)"),
    ("categorical_crossentropy", "layers.Reshape((4, 1))", "(16, 4)"),
    ("categorical_crossentropy", "layers.Reshape((4, 1))", "(16, 3)"),
    ("categorical_crossentropy", "layers.Dense(3)", "(16, 3, 1)"),
    ("categorical_crossentropy", "layers.Dense(3)", "(16, 4, 1)"),
    ("mse", "layers.Dense(1)", "(16, 3)"),
    ("mse", "layers.Dense(3)", "(16, 2)"),
    ("mse", "layers.Dense(3)", "(16, 3)"),
]


@pytest.mark.parametrize(("loss", "head", "target"), CASES)
def test_targets_under_loss(loss: str, head: str, target: str) -> None:
    src = f"""
    model = keras.Sequential([keras.Input(shape=(4,)), {head}])
    model.compile(optimizer="sgd", loss="{loss}")
    y = np.random.randint(0, 2, size={target}).astype("float32")
    model.fit(np.zeros((16, 4), dtype="float32"), y, epochs=1, verbose=0)
    """
    assert_flagged_iff_keras_rejects(src)


@pytest.mark.parametrize("n_y", [16, 12])
def test_sample_counts_must_agree(n_y: int) -> None:
    src = f"""
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((16, 4), dtype="float32"), np.zeros(({n_y}, 1)), epochs=1, verbose=0)
    """
    real = run_real(src)
    engine = run_engine(src)
    assert bool(engine.errors) == (real.error is not None), (engine.errors, real.error)


# Several outputs: targets by position (list) or by output name (dict), losses shared, listed or
# keyed; a mismatch on one output is flagged, the matching combinations stay quiet.
MULTI = [
    # (targets, loss)
    ("[y_cls, y_reg]", '"mse"'),
    ("[y_cls, y_reg]", '["sparse_categorical_crossentropy", "mse"]'),
    ("[y_onehot, y_reg]", '["sparse_categorical_crossentropy", "mse"]'),
    ("[y_cls, y_cls]", '["sparse_categorical_crossentropy", "mse"]'),
    ("[y_onehot, y_reg]", '["categorical_crossentropy", "mse"]'),
    ("[y_cls, y_reg]", '["categorical_crossentropy", "mse"]'),
    ("{'cls': y_cls, 'reg': y_reg}", '{"cls": "sparse_categorical_crossentropy", "reg": "mse"}'),
    ("{'cls': y_cls, 'reg': y_onehot}", '{"cls": "sparse_categorical_crossentropy", "reg": "mse"}'),
    ("{'cls': y_onehot, 'reg': y_reg}", '{"cls": "categorical_crossentropy", "reg": "mse"}'),
    ("{'cls': y_cls, 'reg': y_reg}", '{"cls": "categorical_crossentropy", "reg": "mse"}'),
    ("{'reg': y_reg, 'cls': y_cls}", '["sparse_categorical_crossentropy", "mse"]'),
]


@pytest.mark.parametrize(("targets", "loss"), MULTI)
def test_targets_of_several_outputs(targets: str, loss: str) -> None:
    src = f"""
    inp = keras.Input(shape=(4,))
    h = layers.Dense(8)(inp)
    model = keras.Model(inp, [layers.Dense(5, name="cls")(h), layers.Dense(2, name="reg")(h)])
    model.compile(optimizer="sgd", loss={loss})
    y_cls = np.random.randint(0, 5, size=(16,))
    y_onehot = np.eye(5)[y_cls].astype("float32")
    y_reg = np.zeros((16, 2), dtype="float32")
    model.fit(np.zeros((16, 4), dtype="float32"), {targets}, epochs=1, verbose=0)
    """
    assert_flagged_iff_keras_rejects(src)


@pytest.mark.parametrize(
    ("n", "batch", "units"),
    [(16, None, 5), (16, None, 16), (64, 32, 5), (40, 32, 8), (33, 32, 5), (10, 5, 5), (8, None, 1),
     (40, "int(os.environ.get('BATCH', '10'))", 5)],
)
def test_one_dimensional_targets_under_mse(n: int, batch: int | str | None, units: int) -> None:
    """(samples,) targets against (batch, units) outputs: Keras broadcasts the batch axis
    against the last one, which fails unless every batch has 1 or `units` rows."""
    batch_arg = "" if batch is None else f", batch_size={batch}"
    src = f"""
    import os
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense({units})])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros(({n}, 4), dtype="float32"), np.zeros(({n},), dtype="float32"), epochs=1, verbose=0{batch_arg})
    """
    real = run_real(src)
    engine = run_engine(src)
    if real.error is None:
        assert not engine.errors, engine.errors
    elif isinstance(batch, str):
        assert not engine.errors  # a batch size the engine cannot read: silent
    else:
        assert engine.errors, f"TF raised {real.error!r}; the engine said nothing"


@pytest.mark.parametrize(
    "ctor",
    [
        "keras.losses.SparseCategoricalCrossentropy(label_smoothing=0.1)",
        "keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)",
        "keras.losses.CategoricalCrossentropy(label_smoothing=0.1, axis=-1)",
        "keras.losses.BinaryCrossentropy(True, 0.1)",
        "keras.losses.MeanSquaredError(from_logits=True)",
        "keras.losses.MeanAbsoluteError(reduction='sum', name='mae')",
    ],
)
def test_loss_constructor_arguments(ctor: str) -> None:
    """Keras' loss classes take no **kwargs: a keyword of another loss is a TypeError."""
    assert_flagged_iff_keras_rejects(f"loss = {ctor}\n")


SPATIAL = [
    ("(16, 24, 24, 15)", "mse"),
    ("(16, 48, 48, 15)", "mse"),
    ("(16, 1, 48, 15)", "mse"),
    ("(16, 48, 24, 15)", "mae"),
    ("(16, 48, 48, 1)", "mean_squared_error"),
    ("(16, 48, 48)", "mse"),
    ("(16, 48, 48, 15, 1)", "mse"),
    ("(16, 24, 48, 15, 1)", "mse"),
    ("(16, 48, 15)", "mse"),
    ("(16, 15)", "mae"),
]


@pytest.mark.parametrize(("target", "loss"), SPATIAL)
def test_dense_targets_under_mse_broadcast_on_every_axis(target: str, loss: str) -> None:
    """Heatmap-style targets: mse subtracts targets and outputs of the same rank, so every
    axis after the batch must broadcast; the output is named by a custom layer too."""
    assert_flagged_iff_keras_rejects(
        f"""
class Soft(layers.Layer):
    def call(self, hm):
        return ops.mean(hm, axis=(1, 2))[..., :2]

inp = keras.Input((48, 48, 1))
hm = layers.Conv2D(15, 1, name="heatmaps")(inp)
coords = Soft(name="coords")(hm)
model = keras.Model(inp, [hm, coords])
model.compile(optimizer="adam", loss={{"heatmaps": "{loss}", "coords": keras.losses.Huber()}})
model.fit(np.zeros((16, 48, 48, 1), "float32"),
          {{"heatmaps": np.zeros({target}, "float32"), "coords": np.zeros((16, 2), "float32")}},
          epochs=1, verbose=0)
"""
    )
