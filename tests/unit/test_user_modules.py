"""The user's own modules are followed: functions, layers and classes imported from files next
to the analysed one; facts stay with their file and errors inside surface at the call site."""

from __future__ import annotations

from pathlib import Path

from shapelens.core.analysis import analyze_file


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_imported_helpers_are_followed(tmp_path: Path) -> None:
    _write(tmp_path, {
        "blocks.py": (
            "from keras import layers\n"
            "def block(x, units):\n"
            "    h = layers.Dense(units)(x)\n"
            "    return layers.Dense(units * 2)(h)\n"
            "shared = layers.Dense(3)\n"
        ),
        "nets/__init__.py": "",
        "nets/heads.py": "from ..blocks import block\ndef head(x):\n    return block(x, 1)\n",
        "main.py": (
            "import keras\n"
            "from blocks import block, shared\n"
            "import blocks as b\n"
            "from nets.heads import head\n"
            "x = keras.Input(shape=(4,))\n"
            "y = block(x, 8)\n"
            "z = shared(y)\n"
            "w = b.block(z, 5)\n"
            "v = head(w)\n"
        ),
    })
    a = analyze_file(tmp_path / "main.py")
    shapes = {f.name: tuple(f.shape.dims or ()) for f in a.facts if f.kind == "assign"}
    assert shapes["y"] == (None, 16)
    assert shapes["z"] == (None, 3)
    assert shapes["w"] == (None, 10)
    assert shapes["v"] == (None, 2)
    # nothing from blocks.py (its line 3 holds `h = ...`) leaks into main.py's facts
    assert "h" not in shapes
    assert not a.issues


def test_error_inside_imported_function_is_reported_at_the_call_site(tmp_path: Path) -> None:
    _write(tmp_path, {
        "helpers.py": (
            "import keras\n"
            "from keras import layers\n"
            "def merge(a, b):\n"
            "    return layers.Concatenate()([a, b])\n"
        ),
        "main.py": (
            "import keras\n"
            "from helpers import merge\n"
            "out = merge(keras.Input(shape=(8, 8, 3)), keras.Input(shape=(4, 4, 3)))\n"
        ),
    })
    a = analyze_file(tmp_path / "main.py")
    errs = [i for i in a.issues if i.severity == "error"]
    assert len(errs) == 1
    assert errs[0].span.line == 3
    assert "helpers.py, line 4" in errs[0].message


def test_import_cycles_and_missing_modules_are_harmless(tmp_path: Path) -> None:
    _write(tmp_path, {
        "a.py": "from b import g\ndef f():\n    return 1\n",
        "b.py": "from a import f\ndef g():\n    return f()\n",
        "main.py": "from a import f, g\nfrom not_there import thing\nx = f()\n",
    })
    a = analyze_file(tmp_path / "main.py")
    assert not a.issues
