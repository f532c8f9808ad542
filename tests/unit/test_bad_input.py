"""Bad input never raises: half-typed code still gets shapes, non-text is reported cleanly."""

from __future__ import annotations

import random
from pathlib import Path

from shapelens.core.analysis import analyze_bytes, analyze_source

GOOD = """\
import keras
from keras import layers

inputs = keras.Input(shape=(16,))
hidden = layers.Dense(8)(inputs)
outputs = layers.Dense(2)(hidden)
"""


def _shapes(analysis) -> dict[str, tuple]:
    return {f.name: tuple(f.shape.dims or ()) for f in analysis.facts if f.kind == "assign"}


def test_half_typed_call_keeps_the_rest_of_the_file() -> None:
    src = GOOD.replace("hidden = layers.Dense(8)(inputs)", "hidden = layers.Dense(8)(inputs\nbroken = layers.Dense(")
    src += "after = layers.Dense(3)(inputs)\n"
    analysis = analyze_source(src)
    shapes = _shapes(analysis)
    assert shapes["inputs"] == (None, 16)
    assert shapes["after"] == (None, 3)
    syntax = [i for i in analysis.issues if i.code == "syntax-error"]
    assert len(syntax) == 1


def test_syntax_error_in_the_middle_of_a_block() -> None:
    src = GOOD + "def f(x):\n    y = x +\n    return y\nlast = layers.Dense(4)(outputs)\n"
    shapes = _shapes(analyze_source(src))
    assert shapes["last"] == (None, 4)


def test_every_truncation_of_a_real_file_is_analysed_without_raising() -> None:
    text = (Path(__file__).parents[2] / "examples" / "cnn.py").read_text()
    for cut in range(0, len(text), 7):
        analyze_source(text[:cut])


def test_random_garbage_never_raises() -> None:
    rng = random.Random(7)
    alphabet = "()[]{}:=,.+-*/@ \n\tabcxyz0123456789'\"#\\"
    for _ in range(300):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        analyze_source(s)


def test_random_token_deletions_of_good_code() -> None:
    rng = random.Random(11)
    for _ in range(200):
        chars = list(GOOD)
        for _ in range(rng.randint(1, 5)):
            del chars[rng.randrange(len(chars))]
        analyze_source("".join(chars))


def test_non_utf8_bytes_are_reported_not_raised() -> None:
    analysis = analyze_bytes(b"x = 1\n\xff\xfe bad bytes\n", "bad.py")
    assert [i.code for i in analysis.issues] == ["unreadable-file"]
    assert "not valid utf-8" in analysis.issues[0].message.lower()


def test_binary_file_is_reported() -> None:
    analysis = analyze_bytes(b"\x7fELF\x00\x00\x01", "a.out")
    assert analysis.issues[0].code == "unreadable-file"
    assert "binary" in analysis.issues[0].message


def test_latin1_coding_cookie_is_honoured() -> None:
    data = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1")
    analysis = analyze_bytes(data, "latin.py")
    assert not analysis.issues


def test_huge_file_is_analysed() -> None:
    body = "\n".join(f"h{i} = layers.Dense({i % 50 + 1})(inputs)" for i in range(20000))
    analysis = analyze_source(GOOD + body)
    assert len([f for f in analysis.facts if f.kind == "layer"]) >= 20000
