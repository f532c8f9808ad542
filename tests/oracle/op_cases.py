"""Shared helpers for the generated op test cases (tf, numpy, keras.ops)."""

from __future__ import annotations

import random
import textwrap

import pytest

from oracle.harness import compare, run_engine, run_real


def agree(
    src: str, names: list[str], exact: bool = True, catch: bool = True, oracle: str = "TF"
) -> None:
    """The engine agrees with the real library on ``names``; where it raised, the engine
    reports an error too (``catch``); where it ran, the engine is exact (``exact``)."""
    src = textwrap.dedent(src)
    real = run_real(src, names)
    v = compare(src, names, real)
    assert v.ok, f"{v.detail}\n--- snippet ---\n{src}"
    if real.error is not None:
        if catch:
            eng = run_engine(src)
            assert eng.errors, (
                f"{oracle} raised {type(real.error).__name__}: {str(real.error)[:300]}\n"
                f"but the engine reported no error\n--- snippet ---\n{src}"
            )
    elif exact:
        assert v.exact, f"engine not exact for {names}: {run_engine(src).values}\n--- snippet ---\n{src}"


def shape_of(rng: random.Random, rmin: int = 1, rmax: int = 4, dmax: int = 6) -> tuple[int, ...]:
    return tuple(rng.randint(1, dmax) for _ in range(rng.randint(rmin, rmax)))


def cases(seed: int, n: int, gen) -> list:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    return [pytest.param(*gen(rng, i), id=f"{seed}-{i}") for i in range(n)]
