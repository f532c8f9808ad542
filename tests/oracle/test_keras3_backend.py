"""Keras 2 backend helpers under Keras 3: ``keras.backend`` kept only a few names, so
``K.int_shape`` and friends raise AttributeError (``from keras.backend import ...``
ImportError), while ``tf.keras.backend`` still maps them to the legacy backend. Both directions
against real TF: the engine reports ``keras3-backend`` exactly where it raised and is quiet
where the name exists."""

from __future__ import annotations

import textwrap

import pytest

from oracle.harness import run_engine, run_real

pytestmark = pytest.mark.tf

RAISES = {
    "int_shape_through_an_alias": """
        from keras import backend as K
        x = keras.Input((28, 28, 1))
        channels = K.int_shape(x)[-1]
    """,
    "mean_through_the_package": """
        x = keras.Input((10,))
        m = keras.backend.mean(x, axis=-1)
    """,
    "module_imported_as_a_name": """
        import keras.backend as KB
        y = KB.l2_normalize(np.zeros((3, 4)), axis=-1)
    """,
    "a_helper_imported_by_name": """
        from keras.backend import int_shape
        x = keras.Input((4,))
    """,
    "a_custom_loss_in_keras_2_style": """
        from keras import backend as K

        def rmse(y_true, y_pred):
            return K.sqrt(K.mean(K.square(y_pred - y_true)))

        model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
        model.compile("adam", loss=rmse)
        model.fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
    """,
}

DEFINED = {
    "tf_keras_backend_keeps_them": """
        from tensorflow.keras import backend as K
        x = keras.Input((28, 28, 1))
        channels = K.int_shape(x)[-1]
        m = tf.keras.backend.mean(tf.zeros((2, 3)))
    """,
    "names_keras_3_kept": """
        from keras import backend as K
        fmt = K.image_data_format()
        eps = K.epsilon()
        K.clear_session()
        dt = K.floatx()
    """,
    "asked_for_before_use": """
        from keras import backend as K
        x = keras.Input((6,))
        if hasattr(K, "int_shape"):
            n = K.int_shape(x)[-1]
        else:
            n = x.shape[-1]
        y = layers.Dense(n)(x)
    """,
    "the_private_backend_is_the_whole_backend": """
        from keras.src import backend
        from keras.src.backend import convert_to_tensor
        t = backend.convert_to_tensor(np.zeros((2, 3)))
        u = convert_to_tensor(np.zeros(3))
    """,
    "getattr_with_a_default": """
        shape_of = getattr(keras.backend, "int_shape", None)
        n = shape_of(tf.zeros((2, 3)))[-1] if shape_of is not None else 3
    """,
    "dunder_names_exist": """
        from keras import backend as K
        has_file = hasattr(K, "__name__")
    """,
    "caught_when_missing": """
        from keras import backend as K
        x = keras.Input((6,))
        try:
            n = K.int_shape(x)[-1]
        except AttributeError:
            n = x.shape[-1]
    """,
}


# the finding is certain unless a handler of the class it raises is around it
CAUGHT_BY_ANOTHER_CLASS = {
    "attribute_error_under_except_import_error": """
        from keras import backend as K
        try:
            n = K.int_shape(tf.zeros((2, 3)))[-1]
        except ImportError:
            n = 3
    """,
    "import_error_under_except_module_not_found": """
        try:
            from keras.backend import int_shape
        except ModuleNotFoundError:
            int_shape = None
    """,
}


@pytest.mark.parametrize("name", sorted(CAUGHT_BY_ANOTHER_CLASS))
def test_a_handler_of_another_class_does_not_expect_it(name: str) -> None:
    src = textwrap.dedent(CAUGHT_BY_ANOTHER_CLASS[name])
    real, eng = run_real(src), run_engine(src)
    assert isinstance(real.error, (AttributeError, ImportError)), real.error
    assert real.error_line in eng.error_lines, (real.error_line, eng.error_lines, eng.errors)


def test_a_shape_error_under_except_attribute_error_stays_an_error() -> None:
    src = textwrap.dedent("""
        model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
        try:
            p = model.predict(np.zeros((3, 5)), verbose=0)
        except AttributeError:
            p = None
    """)
    real, eng = run_real(src), run_engine(src)
    assert isinstance(real.error, ValueError), real.error
    assert real.error_line in eng.error_lines, (real.error_line, eng.error_lines, eng.errors)


@pytest.mark.parametrize("name", sorted(RAISES))
def test_keras_3_raises_and_the_engine_says_where(name: str) -> None:
    src = textwrap.dedent(RAISES[name])
    real, eng = run_real(src), run_engine(src)
    assert isinstance(real.error, (AttributeError, ImportError)), real.error
    assert real.error_line in eng.error_lines, (real.error_line, eng.error_lines, eng.errors)
    assert any("Keras 3's keras.backend" in e for e in eng.errors), eng.errors


@pytest.mark.parametrize("name", sorted(DEFINED))
def test_the_name_exists_and_the_engine_is_quiet(name: str) -> None:
    src = textwrap.dedent(DEFINED[name])
    real, eng = run_real(src), run_engine(src)
    assert real.error is None, real.error
    assert not eng.errors, eng.errors
