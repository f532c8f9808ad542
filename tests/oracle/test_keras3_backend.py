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
    "caught_when_missing": """
        from keras import backend as K
        x = keras.Input((6,))
        try:
            n = K.int_shape(x)[-1]
        except AttributeError:
            n = x.shape[-1]
    """,
}


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
