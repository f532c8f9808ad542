"""Every diagnostic code shapelens reports, with what it means (the reference text for
SARIF rule descriptions; docs/DIAGNOSTICS.md explains each with an example, and a test keeps
the two in step)."""

from __future__ import annotations

DOCS_URL = "https://github.com/shapelens/shapelens/blob/main/docs/DIAGNOSTICS.md"

CODES: dict[str, str] = {
    "shape-mismatch": "A layer or op whose shapes certainly disagree.",
    "broadcast": "Elementwise operands that cannot broadcast.",
    "matmul": "Matrix product whose inner dimensions differ.",
    "dtype-mismatch": "Dtypes TensorFlow refuses to mix.",
    "layer-input-rank": "A layer called on an input of a rank it cannot take.",
    "layer-input-mismatch": "A layer called on an input that disagrees with what it was built for.",
    "merge-mismatch": "Merge layers whose inputs do not fit together.",
    "axis-out-of-range": "An axis outside the tensor's rank.",
    "reshape": "Reshape to a shape with a different number of elements.",
    "concat": "Concatenating tensors whose other dimensions differ.",
    "index-out-of-range": "An index outside a known dimension.",
    "model-input-mismatch": "Data whose shape disagrees with the model's inputs.",
    "missing-batch-axis": "A single sample fed where a batch is expected (quick fix: add a batch axis).",
    "model-input-count": "A different number of inputs than the model has.",
    "model-input-keys": "Dict data without a key for every named model input.",
    "graph-disconnected": "A functional model whose outputs need a keras.Input it is not given.",
    "sequential-io": "seq.input / seq.output of a Sequential never called on a symbolic tensor (Keras 3 raises).",
    "keras3-backend": "A Keras 2 backend helper (K.int_shape, K.mean...) looked up in Keras 3's keras.backend.",
    "fit-before-compile": "Fit/evaluate/train_on_batch before compile().",
    "missing-targets": "Training data without targets while the loss needs them.",
    "loss-target-mismatch": "Targets whose shape the compiled loss cannot take (quick fix: the sparse/dense twin).",
    "data-cardinality": "Arrays given to fit/evaluate with different numbers of samples.",
    "assert-shape": "An assert on shapes that certainly fails.",
    "dtype-cast": "Data silently cast to the model's float32.",
    "syntax-error": "The file does not parse; the rest is still analysed.",
    "layer-config": "A layer constructor value Keras rejects (kernel larger than the input, groups that do not divide the channels, a negative size).",
    "layer-input-shape": "An input whose fixed size a layer cannot take.",
    "invalid-argument": "An argument value an op or layer rejects.",
    "invalid-shape": "A shape argument that is not a valid shape.",
    "not-adapted": "A preprocessing layer used before `adapt()` or a vocabulary was given.",
    "keras-tensor-in-tf": "A symbolic Keras tensor passed to a raw `tf.*` function at module level (Keras 3 raises; use `keras.ops` or a layer).",
    "keras-tensor-in-numpy": "A symbolic Keras tensor passed to a numpy function.",
    "keras-tensor-numpy": "`.numpy()` on a symbolic Keras tensor.",
    "keras-tensor-list": "A Python list mixed into arithmetic with a Keras tensor.",
    "einsum": "An einsum equation that does not fit its operands.",
    "gather": "Gather indices/axis that do not fit the tensor.",
    "pad": "Paddings that do not fit the tensor.",
    "range": "A range op with invalid bounds.",
    "rank": "An op given a tensor of a rank it cannot take.",
    "shape": "An invalid shape computation.",
    "split": "A split whose sizes do not add up to the dimension.",
    "squeeze": "Squeezing an axis whose size is not 1.",
    "stack": "Stacking tensors of different shapes.",
    "tensordot": "Tensordot axes of different sizes.",
    "tile": "Tile multiples of the wrong length.",
    "top-k": "Top_k with k larger than the last dimension.",
    "transpose": "A permutation of the wrong length.",
    "unstack": "Unstacking an axis of unknown or wrong size.",
    "index": "An index of a kind the tensor cannot take.",
    "boolean-mask": "A boolean mask whose shape does not match the tensor.",
    "dataset-slices": "`from_tensor_slices` components with different first dimensions.",
    "dataset-structure": "Datasets or signatures whose structures do not match.",
    "dataset-batch": "An invalid batch size.",
    "dataset-unbatch": "Unbatching scalar components.",
    "dataset-padded-shape": "`padded_shapes` that do not fit a component.",
    "dataset-map-arity": "A `map`/`filter` function whose parameters do not match the element (tuples are spread into arguments).",
    "dataset-unique": "`unique()` on an element it cannot take.",
    "image-rank": "A rank-3 input to an image layer is treated as one unbatched image.",
    "inference-shape": "RandomCrop changes the shape only while training, so inference sees another shape.",
    "unreadable-file": "The file is binary or not valid text in its encoding.",
    "analysis-limit": "The file is nested too deeply to analyse completely.",
    "file-too-large": "The file is larger than `shapelens.maxFileSizeKB` and is not analysed.",
    "internal-error": "The analysis itself failed; the log has the details.",
    "runtime-error": "The probed code raised; shown on the deepest line of the probed document (inside a custom layer's `call`, say), with TF's message, the shapes of the operands on that line, and the lines that called it as related locations. A syntax error in the cell and `sys.exit` (information) use it too.",
    "static-runtime-mismatch": "A fully known static shape differs from the one the run produced, usually because the kernel ran an older version of an earlier cell; both shapes are named.",
    "nonfinite-values": "An array observed at runtime holds NaN or Inf values (counted over at most 4 million elements per array).",
}


def friendly_name(code: str) -> str:
    """``layer-input-mismatch`` -> ``LayerInputMismatch`` (SARIF rule names are Pascal-case)."""
    return "".join(part.capitalize() for part in code.split("-"))


def help_uri(code: str) -> str:
    """The code's section of docs/DIAGNOSTICS.md (GitHub heading anchors)."""
    return f"{DOCS_URL}#{code}"
