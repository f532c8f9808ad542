"""Pieces of the probe that need no kernel: cells, result conversion, following edits."""

from __future__ import annotations

from shapelens.core.facts import Issue, ShapeFact, Span
from shapelens.core.shapes import Shape
from shapelens.lsp.probe_store import ProbedBlock, ProbeStore, locate
from shapelens.probe.cells import notebook_cells, split_cells, trimmed
from shapelens.probe.results import describe_value, disagreements, error_issue, observation_facts


def test_split_cells_by_markers() -> None:
    text = "import numpy as np\n# %% first\nx = 1\n\n#%%\ny = 2\n"
    cells = split_cells(text)
    assert [(c.index, c.first_line, c.marker_line) for c in cells] == [(1, 1, None), (2, 3, 2), (3, 6, 5)]
    assert cells[1].text == "x = 1\n\n"
    assert cells[1].contains(2) and cells[1].contains(4) and not cells[1].contains(5)


def test_file_without_markers_is_one_cell_and_blank_file_none() -> None:
    assert [(c.first_line, c.text) for c in split_cells("a = 1\nb = 2\n")] == [(1, "a = 1\nb = 2\n")]
    assert split_cells("\n\n") == []


def test_trimmed_drops_leading_blank_lines_and_keeps_line_numbers() -> None:
    cell = split_cells("# %%\n\n\nx = 1\n")[0]
    t = trimmed(cell)
    assert (t.first_line, t.text) == (4, "x = 1\n")


def test_notebook_cells_keep_code_cells_only() -> None:
    raw = '{"cells": [{"cell_type": "markdown", "source": "# hi"}, {"cell_type": "code", "source": ["a = 1\\n", "b = 2"]}]}'
    cells = notebook_cells(raw)
    assert [(c.index, c.text) for c in cells] == [(1, "a = 1\nb = 2")]


def test_observations_become_runtime_facts_with_variants_device_and_nonfinite() -> None:
    obs = [
        {"line": 3, "column": 0, "end_line": 3, "end_column": 1, "name": "x", "kind": "assign", "hits": 2,
         "values": [{"type": "tf.Tensor", "shape": [32, 10], "dtype": "float32", "device": "GPU:0", "nonfinite": 0},
                    {"type": "tf.Tensor", "shape": [16, 10], "dtype": "float32", "device": "GPU:0", "nonfinite": 3}]},
        {"line": 5, "column": 0, "end_line": 5, "end_column": 2, "name": "ds", "kind": "assign", "hits": 1,
         "values": [{"type": "tf.data.Dataset", "element_spec": {"type": "tuple", "items": [
             {"type": "TensorSpec", "shape": [None, 4], "dtype": "float32"},
             {"type": "TensorSpec", "shape": [None], "dtype": "int64"}]}}]},
    ]
    x, ds = observation_facts(obs)
    assert x.origin == "runtime" and x.shape.to_json() == [None, 10]
    assert [v.to_json() for v in x.variants] == [[32, 10], [16, 10]]
    assert x.device == "GPU:0" and x.nonfinite == 3
    assert ds.kind == "dataset" and ds.detail == "tuple((None, 4) float32, (None,) int64)"


def test_describe_value_of_nested_values() -> None:
    desc = {"type": "dict", "entries": {"a": {"type": "np.ndarray", "shape": [2], "dtype": "int64", "device": "CPU"}}}
    assert describe_value(desc) == "{'a': (2,) int64 on CPU}"


def test_error_issue_names_operands_and_call_site() -> None:
    error = {
        "type": "InvalidArgumentError",
        "message": "Exception encountered when calling Projection.call().\n\n{{function_node x}} Incompatible shapes: [32,5] vs. [32,2] [Op:AddV2]",
        "frames": [{"path": "/p.py", "line": 19}, {"path": "/p.py", "line": 14}],
        "line": 14, "column": 15, "end_line": 14, "end_column": 56,
        "values": [{"expr": "a @ w", "value": {"type": "tf.Tensor", "shape": [32, 5], "dtype": "float32"}},
                   {"expr": "a[:, :2]", "value": {"type": "tf.Tensor", "shape": [32, 2], "dtype": "float32"}}],
    }
    issue = error_issue(error, "/p.py")
    assert issue is not None and issue.span == Span(14, 15, 14, 56) and issue.severity == "error"
    assert "Incompatible shapes: [32,5] vs. [32,2]" in issue.message
    assert "`a @ w` is (32, 5) float32" in issue.message and "`a[:, :2]` is (32, 2) float32" in issue.message
    assert [r.span.line for r in issue.related] == [19]


def _fact(line: int, name: str, dims: list[object], origin: str = "static") -> ShapeFact:
    return ShapeFact(Span(line, 0, line, len(name)), name, Shape.of(dims), "float32", "assign", origin)  # type: ignore[arg-type]


def test_disagreement_only_where_known_dims_differ() -> None:
    static = [_fact(1, "a", [None, 10]), _fact(2, "b", [4, 2]), _fact(3, "c", [4, 2])]
    runtime = [_fact(1, "a", [32, 10], "runtime"), _fact(2, "b", [6, 2], "runtime"), _fact(3, "c", [4, 2], "runtime")]
    found = disagreements(static, runtime)
    assert [(i.span.line, i.code, i.severity) for i in found] == [(2, "static-runtime-mismatch", "warning")]
    assert "(4, 2)" in found[0].message and "(6, 2)" in found[0].message


def test_blocks_follow_the_text_and_vanish_when_edited() -> None:
    store = ProbeStore()
    block = ProbedBlock(3, ["x = f()", "y = g(x)"], [_fact(3, "x", [2], "runtime")],
                        [Issue(Span(4, 0, 4, 8), "error", "runtime-error", "boom")])
    store.put("doc", block)
    assert store.follow("doc", "a\nb\nx = f()\ny = g(x)\n") is False
    assert store.follow("doc", "new\na\nb\nx = f()\ny = g(x)\n") is True
    assert [f.span.line for f in store.facts("doc")] == [4]
    assert [i.span.line for i in store.issues("doc")] == [5]
    store.follow("doc", "new\na\nb\nx = f()\ny = h(x)\n")
    assert store.facts("doc") == [] and store.issues("doc") == []


def test_locate_prefers_the_nearest_copy() -> None:
    lines = ["x = 1", "pass", "x = 1", "pass", "x = 1"]
    assert locate(["x = 1"], lines, 4) in (3, 5)
    assert locate(["x = 1"], lines, 1) == 1
    assert locate(["zzz"], lines, 1) is None
