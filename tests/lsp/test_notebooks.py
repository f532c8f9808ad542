"""Notebooks: the Python cells, in order, are one program; diagnostics, hover and inlay hints
are per cell, in cell coordinates; IPython magics are ignored."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from shapelens.lsp.notebooks import CellText, build_program, strip_magics

from .conftest import ShapelensClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

CODE = lsp.NotebookCellKind.Code
MARKUP = lsp.NotebookCellKind.Markup


def nb_uri(name: str) -> str:
    return f"file:///tmp/shapelens-lsp-tests/{name}.ipynb"


def cell_uri(name: str, i: int) -> str:
    return f"vscode-notebook-cell:/tmp/shapelens-lsp-tests/{name}.ipynb#cell{i}"


def open_notebook(client: ShapelensClient, name: str, cells: list[tuple[lsp.NotebookCellKind, str]]) -> int:
    mark = len(client.published)
    client.notebook_document_did_open(
        lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=nb_uri(name),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[lsp.NotebookCell(kind=kind, document=cell_uri(name, i)) for i, (kind, _) in enumerate(cells)],
            ),
            cell_text_documents=[
                lsp.TextDocumentItem(
                    uri=cell_uri(name, i),
                    language_id="python" if kind == CODE else "markdown",
                    version=1,
                    text=text,
                )
                for i, (kind, text) in enumerate(cells)
            ],
        )
    )
    return mark


def change_cell_text(client: ShapelensClient, name: str, nb_version: int, i: int, cell_version: int,
                     start: tuple[int, int], end: tuple[int, int], text: str) -> int:
    mark = len(client.published)
    client.notebook_document_did_change(
        lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(version=nb_version, uri=nb_uri(name)),
            change=lsp.NotebookDocumentChangeEvent(
                cells=lsp.NotebookDocumentCellChanges(
                    text_content=[
                        lsp.NotebookDocumentCellContentChanges(
                            document=lsp.VersionedTextDocumentIdentifier(uri=cell_uri(name, i), version=cell_version),
                            changes=[lsp.TextDocumentContentChangePartial(
                                range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=text)],
                        )
                    ]
                )
            ),
        )
    )
    return mark


CELLS = [
    (CODE, "import tensorflow as tf\n%matplotlib inline\nx = tf.zeros((3, 5))\n"),
    (MARKUP, "# Some *markdown* that is not Python = (\n"),
    (CODE, "!pip install tensorflow\ny = x + tf.zeros((3, 2))\nz = tf.reshape(x, (-1,))"),
    (CODE, "%%bash\necho this is not python (\n"),
]


async def test_diagnostics_land_in_the_right_cell(client: ShapelensClient):
    mark = open_notebook(client, "diag", CELLS)
    broken = await client.wait_for_published(cell_uri("diag", 2), after=mark)
    [diag] = broken.diagnostics
    assert diag.code == "broadcast"
    assert broken.version == 1
    assert diag.range == lsp.Range(lsp.Position(1, 4), lsp.Position(1, 24))
    first = await client.wait_for_published(cell_uri("diag", 0), after=mark)
    assert list(first.diagnostics) == []  # %matplotlib is not a syntax error
    bash = await client.wait_for_published(cell_uri("diag", 3), after=mark)
    assert list(bash.diagnostics) == []  # neither is a %%bash cell
    assert not any(p.uri == cell_uri("diag", 1) for p in client.published[mark:])  # markdown


async def test_hover_and_inlay_hints_per_cell(client: ShapelensClient):
    mark = open_notebook(client, "hover", CELLS)
    await client.wait_for_published(cell_uri("hover", 2), after=mark)
    hover = await client.hover_at(cell_uri("hover", 2), 2, 0)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.value.startswith("`z`: `(15,)` float32")
    assert hover.range == lsp.Range(lsp.Position(2, 0), lsp.Position(2, 1))
    # `x` used in cell 3 comes from cell 1
    use = await client.hover_at(cell_uri("hover", 2), 2, len("z = tf.reshape("))
    assert use is not None and isinstance(use.contents, lsp.MarkupContent)
    assert "`(3, 5)`" in use.contents.value and "as assigned at cell 1, line 3" in use.contents.value
    hints = await client.hints(cell_uri("hover", 2))
    assert [(h.position.line, h.label) for h in hints] == [(2, ": (15,) float32")]
    hints = await client.hints(cell_uri("hover", 0))
    assert [(h.position.line, h.position.character, h.label) for h in hints] == [(2, 1, ": (3, 5) float32")]
    assert await client.hints(cell_uri("hover", 1)) == []


async def test_cell_edits_update_that_cells_diagnostics(client: ShapelensClient):
    mark = open_notebook(client, "edit", CELLS)
    await client.wait_for_published(cell_uri("edit", 2), after=mark)
    # cell 1: x = tf.zeros((3, 5)) -> tf.zeros((3, 2)), which fixes the broadcast in cell 3
    line = CELLS[0][1].splitlines()[2]
    col = line.index("5)")
    mark = change_cell_text(client, "edit", 2, 0, 2, (2, col), (2, col + 1), "2")
    fixed = await client.wait_for_published(cell_uri("edit", 2), after=mark)
    assert list(fixed.diagnostics) == []
    assert fixed.version == 1  # that cell did not change; its diagnostics did
    mark = change_cell_text(client, "edit", 3, 2, 2, (2, 0), (2, 0), "w = y @ y\n")
    broken = await client.wait_for_published(cell_uri("edit", 2), version=2, after=mark)
    assert [d.range.start.line for d in broken.diagnostics] == [2]


async def test_cells_added_and_removed(client: ShapelensClient):
    name = "structure"
    mark = open_notebook(client, name, CELLS)
    await client.wait_for_published(cell_uri(name, 2), after=mark)
    new = cell_uri(name, 9)
    mark = len(client.published)
    # insert a cell before cell 3 redefining x; remove the %%bash cell
    client.notebook_document_did_change(
        lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(version=2, uri=nb_uri(name)),
            change=lsp.NotebookDocumentChangeEvent(
                cells=lsp.NotebookDocumentCellChanges(
                    structure=lsp.NotebookDocumentCellChangeStructure(
                        array=lsp.NotebookCellArrayChange(
                            start=2, delete_count=0, cells=[lsp.NotebookCell(kind=CODE, document=new)]
                        ),
                        did_open=[lsp.TextDocumentItem(uri=new, language_id="python", version=1,
                                                       text="x = tf.zeros((3, 2))")],
                    )
                )
            ),
        )
    )
    fixed = await client.wait_for_published(cell_uri(name, 2), after=mark)
    assert list(fixed.diagnostics) == []
    mark = len(client.published)
    client.notebook_document_did_change(
        lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(version=3, uri=nb_uri(name)),
            change=lsp.NotebookDocumentChangeEvent(
                cells=lsp.NotebookDocumentCellChanges(
                    structure=lsp.NotebookDocumentCellChangeStructure(
                        array=lsp.NotebookCellArrayChange(start=2, delete_count=1),
                        did_close=[lsp.TextDocumentIdentifier(uri=new)],
                    )
                )
            ),
        )
    )
    gone = await client.wait_for_published(new, after=mark)
    assert list(gone.diagnostics) == []
    back = await client.wait_for_published(cell_uri(name, 2), after=mark,
                                           predicate=lambda p: len(p.diagnostics) == 1)
    assert back.diagnostics[0].code == "broadcast"


async def test_close_clears_every_cell(client: ShapelensClient):
    name = "close"
    mark = open_notebook(client, name, CELLS)
    await client.wait_for_published(cell_uri(name, 2), after=mark)
    mark = len(client.published)
    client.notebook_document_did_close(
        lsp.DidCloseNotebookDocumentParams(
            notebook_document=lsp.NotebookDocumentIdentifier(uri=nb_uri(name)),
            cell_text_documents=[lsp.TextDocumentIdentifier(uri=cell_uri(name, i)) for i in range(len(CELLS))],
        )
    )
    cleared = await client.wait_for_published(cell_uri(name, 2), after=mark)
    assert list(cleared.diagnostics) == []
    assert await client.hover_at(cell_uri(name, 2), 2, 0) is None


async def test_magics_are_blanked_line_for_line():
    text = "%load_ext autoreload\nif True:\n    !ls\n    a = (1 +\n%2)\nobj?\n"
    out = strip_magics(text)
    assert out.splitlines() == ["pass", "if True:", "    pass", "    a = (1 +", "%2)", "pass"]
    assert strip_magics("%%writefile x.py\nprint(1\n") == "\n\n"
    assert strip_magics("%%time\nx = 1\n").splitlines() == ["", "x = 1"]
    engine, display, layout = build_program([CellText("a", "x = 1", 1, 1), CellText("b", "\r\ny = 2\r\n", 3, 3)])
    assert engine == "x = 1\n\ny = 2\n"
    assert display == "x = 1\n\r\ny = 2\r\n"  # the cells' own line endings, for columns
    assert [(c.uri, c.start, c.lines) for c in layout] == [("a", 0, 1), ("b", 1, 2)]
