"""Telling a channels-first/channels-last mix-up apart from any other shape mismatch.

When data of shape (batch, 3, 32, 32) meets a model built for (batch, 32, 32, 3), the plain
message ("axis 1: expected 32, got 3") hides the real problem; `channel_order_hint` names it and
says how to fix it either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from .shapes import Dim


def _same(a: Sequence[Dim], b: Sequence[Dim]) -> bool:
    return len(a) == len(b) and all(isinstance(x, int) and x == y for x, y in zip(a, b, strict=True))


def channel_order_hint(expected: Sequence[Dim] | None, given: Sequence[Dim] | None) -> str:
    """A sentence for the message when ``given`` is ``expected`` with the channel axis moved
    (rank 3 to 5: sequences, images, volumes), else ``""``."""
    if expected is None or given is None or len(expected) != len(given) or not 3 <= len(given) <= 5:
        return ""
    rank = len(given)
    if _same(given[1:], (expected[-1], *expected[1:-1])) and not _same(given[1:], expected[1:]):
        perm = (0, *range(2, rank), 1)
        return (
            f"; the data looks channels-first ({given[1]} channels on axis 1) while the model takes "
            f"channels-last: transpose it with perm {perm}, or build the model with "
            f"data_format='channels_first'"
        )
    if _same(given[1:], (*expected[2:], expected[1])) and not _same(given[1:], expected[1:]):
        perm = (0, rank - 1, *range(1, rank - 1))
        return (
            f"; the data looks channels-last ({given[-1]} channels on the last axis) while the "
            f"model takes channels-first: transpose it with perm {perm}, or build the model "
            f"with data_format='channels_last'"
        )
    return ""
