"""numpy's in-place operators keep the array's dtype and shape, and lists joined with ``+`` /
``+=`` keep their length when each side's is known; compared with what numpy gives."""

from __future__ import annotations

import pytest

from oracle import op_cases

X = "def draw(k):\n    return np.zeros((4, 4), np.float32)\n\n"

CASES = [
    "y = np.zeros((3, 4), np.float32)\ny += np.random.normal(0, 1, (3, 4))",
    "y = np.zeros((3, 4), np.float32)\ny *= 2.0",
    "y = np.zeros((3, 4), np.int64)\ny += np.ones((4,), np.int32)",
    "y = np.zeros((3, 4), np.float64)\ny -= np.ones((3, 4), np.float32)",
    "y = np.zeros((3, 4), np.int32)\ny += np.ones((3, 4), bool)",
    "y = np.zeros((3, 4), np.float16)\ny /= 3",
    "y = np.zeros((3, 4), np.uint8)\ny += np.ones((3, 4), np.uint8)",
    "y = np.zeros((2, 3), np.float32)\ny[0] += np.ones(3)",
    "a = [draw(i) for i in range(5)]\ny = np.stack(a + a)",
    "a = [draw(i) for i in range(5)]\nb = []\nb += a\ny = np.asarray(b)",
    "imgs = []\nfor k in range(3):\n    imgs += [draw(k) for _ in range(4)]\ny = np.asarray(imgs, np.float32)[..., None]",
    "a = [draw(i) for i in range(5)]\ny = np.array([np.zeros((4, 4), np.float32)] + a)",
]


@pytest.mark.parametrize("line", CASES)
def test_in_place_and_joined_lists_agree(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], oracle="numpy")


@pytest.mark.parametrize(
    "line",
    [
        # numpy refuses to write a float result into an int array: no dtype is claimed
        "y = np.zeros((3, 4), np.int64)\ny += 0.5",
        "y = np.zeros((3, 4), np.uint8)\ny += np.ones((3, 4), np.int64)",
    ],
)
def test_refused_in_place_casts_claim_nothing(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False, catch=False, oracle="numpy")
