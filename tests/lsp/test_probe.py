"""The probe through the language server: commands, runtime diagnostics, hints and hovers,
following edits, notebooks, lenses, progress with cancel, and a flood of user output."""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from .conftest import (
    DEFAULT_SETTINGS,
    ROOT,
    SERVER_COMMAND,
    ShapelensClient,
    make_client,
    uri_for,
    vscode_capabilities,
)
from .test_notebooks import CODE, cell_uri, nb_uri, open_notebook

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.tf]

BROADCAST = """import tensorflow as tf
from keras import layers


class Projection(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 5))

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + inputs[:, :2]


features = tf.random.normal(shape=(32, 10))
projected = Projection()(features)
"""

CELLS = """import numpy as np
# %%
n = 4
# %%
grid = np.zeros((n, 2))
"""


async def run_command(client: ShapelensClient, command: str, *args: Any) -> Any:
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=list(args))
    )
    return SimpleNamespace(**result)


async def probe(client: ShapelensClient, uri: str, scope: str = "file", **extra: Any) -> Any:
    return await run_command(client, "shapelens.server.probe", {"uri": uri, "scope": scope, **extra})


def _diag(client: ShapelensClient, uri: str, code: str) -> list[lsp.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.code == code]


async def _wait_for(predicate: Any, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_probe_file_shows_runtime_error_hints_and_hover(client: ShapelensClient) -> None:
    uri = uri_for("probe_broadcast.py")
    client.open(uri, BROADCAST)
    await client.wait_for_published(uri)
    result = await probe(client, uri)
    assert result.status == "error" and "line 10" in result.message
    await _wait_for(lambda: _diag(client, uri, "runtime-error"))
    [diag] = _diag(client, uri, "runtime-error")
    assert diag.range.start.line == 9 and diag.severity == lsp.DiagnosticSeverity.Error
    assert "(32, 5) float32" in diag.message and "(32, 2) float32" in diag.message
    assert [r.location.range.start.line for r in diag.related_information or []] == [13]
    hints = await client.hints(uri)
    runtime = [h.label for h in hints if "⚡run" in str(h.label)]
    assert ": (32, 10) float32 ⚡run" in runtime
    hover = await client.hover_at(uri, 12, 2)
    assert hover is not None and "runtime (probe)" in hover.contents.value and "(32, 10)" in hover.contents.value
    assert "static analysis: `(32, 10)` float32" in hover.contents.value
    assert "busy" in client.kernel_states and client.kernel_states[-1] == "idle"
    token_reports = [r for r in client.progress_reports.values() if r and isinstance(r[0], lsp.WorkDoneProgressBegin)]
    assert token_reports and token_reports[-1][0].cancellable is True


async def test_runtime_facts_follow_edits_and_drop_when_their_cell_changes(client: ShapelensClient) -> None:
    uri = uri_for("probe_cells.py")
    client.open(uri, CELLS)
    await client.wait_for_published(uri)
    result = await probe(client, uri)
    assert result.status == "ok"
    hints = await client.hints(uri)
    assert any(h.position.line == 4 and "(4, 2) float64 ⚡run" in str(h.label) for h in hints)
    version = client.edit(uri, (0, 0), (0, 0), "# a comment\n")  # everything moves down a line
    await client.wait_for_published(uri, version)
    hints = await client.hints(uri)
    assert any(h.position.line == 5 and "⚡run" in str(h.label) for h in hints)
    version = client.edit(uri, (5, 0), (5, 4), "mesh")  # the probed line itself changed
    await client.wait_for_published(uri, version)
    hints = await client.hints(uri)
    assert not any("⚡run" in str(h.label) for h in hints if h.position.line >= 4)


async def test_stale_kernel_state_disagrees_with_static_and_says_so(client: ShapelensClient) -> None:
    uri = uri_for("probe_stale.py")
    client.open(uri, CELLS)
    await client.wait_for_published(uri)
    assert (await probe(client, uri)).status == "ok"
    version = client.edit(uri, (2, 4), (2, 5), "6")  # n = 6, not probed again
    await client.wait_for_published(uri, version)
    result = await probe(client, uri, scope="cell", line=4)  # only the grid cell: the kernel still has n = 4
    assert result.status == "ok"
    await _wait_for(lambda: _diag(client, uri, "static-runtime-mismatch"))
    [diag] = _diag(client, uri, "static-runtime-mismatch")
    assert diag.range.start.line == 4 and "(6, 2)" in diag.message and "(4, 2)" in diag.message
    assert diag.severity == lsp.DiagnosticSeverity.Warning


async def test_selection_and_clear(client: ShapelensClient) -> None:
    uri = uri_for("probe_selection.py")
    client.open(uri, "import numpy as np\nif True:\n    inner = np.ones((3, 7))\n")
    await client.wait_for_published(uri)
    await probe(client, uri, scope="file")
    result = await probe(client, uri, scope="selection",
                         range={"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 0}})
    assert result.status == "ok" and result.facts == 1
    hints = await client.hints(uri)
    assert any(h.position.line == 2 and "(3, 7) float64 ⚡run" in str(h.label) for h in hints)
    await run_command(client, "shapelens.server.probeClear", {"uri": uri})
    assert not any("⚡run" in str(h.label) for h in await client.hints(uri))


async def test_code_lenses_on_cells(client: ShapelensClient) -> None:
    uri = uri_for("probe_lenses.py")
    client.open(uri, CELLS)
    await client.wait_for_published(uri)
    lenses = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    got = [(lens.range.start.line, lens.command.command, list(lens.command.arguments or [])) for lens in lenses or [] if lens.command]
    assert (0, "shapelens.probeFile", [uri]) in got
    assert (1, "shapelens.probeCell", [uri, 1]) in got and (3, "shapelens.probeCell", [uri, 3]) in got


async def test_notebook_cell_probed_through_the_server(client: ShapelensClient) -> None:
    name = "probe_nb"
    open_notebook(client, name, [(CODE, "import numpy as np\nbase = np.zeros((2, 3))\n"),
                                 (CODE, "tall = np.concatenate([base, base, base])\n")])
    await client.wait_for_published(cell_uri(name, 1))
    result = await probe(client, nb_uri(name), scope="file")
    assert result.status == "ok" and result.blocks == 2
    hints = await client.hints(cell_uri(name, 1))
    assert any(h.position.line == 0 and "(6, 3) float64 ⚡run" in str(h.label) for h in hints)
    hover = await client.hover_at(cell_uri(name, 1), 0, 1)
    assert hover is not None and "runtime (probe)" in hover.contents.value
    # one cell alone, by its cell URI
    result = await probe(client, cell_uri(name, 0), scope="cell")
    assert result.status == "ok" and result.blocks == 1


async def test_cancel_interrupts_a_runaway_cell(client: ShapelensClient) -> None:
    uri = uri_for("probe_cancel.py")
    client.open(uri, "import time\nwhile True:\n    time.sleep(0.05)\n")
    await client.wait_for_published(uri)
    known = set(client.progress_reports)
    task = asyncio.ensure_future(probe(client, uri))
    await _wait_for(lambda: set(client.progress_reports) - known and client.kernel_states[-1] == "busy")
    [token] = set(client.progress_reports) - known
    client.protocol.notify(lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL, lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 60)
    assert result.status == "interrupted"


async def test_a_flood_of_user_output_keeps_the_stream_intact(client: ShapelensClient) -> None:
    uri = uri_for("probe_flood.py")
    client.open(uri, "import sys\nfor _ in range(100):\n    sys.stdout.write('z' * 1_000_000)\nimport numpy as np\nend = np.ones(2)\n")
    await client.wait_for_published(uri)
    before = sum(len(t) for t in client.probe_output)
    result = await probe(client, uri)
    assert result.status == "ok"
    forwarded = sum(len(t) for t in client.probe_output) - before
    assert 900_000 < forwarded < 1_100_000
    hover = await client.hover_at(uri, 4, 1)  # the server still answers
    assert hover is not None and "(2,)" in hover.contents.value


async def test_restart_kernel_forgets_results(client: ShapelensClient) -> None:
    uri = uri_for("probe_restart.py")
    client.open(uri, "import numpy as np\nr = np.ones(5)\n")
    await client.wait_for_published(uri)
    await probe(client, uri)
    assert any("⚡run" in str(h.label) for h in await client.hints(uri))
    result = await run_command(client, "shapelens.server.restartKernel")
    assert result.status == "ok"
    assert not any("⚡run" in str(h.label) for h in await client.hints(uri))


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client),
    scope="module",
)
async def untrusted(lsp_client: ShapelensClient):  # type: ignore[no-untyped-def]
    lsp_client.set_configuration(dict(DEFAULT_SETTINGS), section="shapelens")
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=vscode_capabilities(),
            root_uri=ROOT,
            workspace_folders=[lsp.WorkspaceFolder(uri=ROOT, name="tests")],
            initialization_options={"probe": {"enabled": False}},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_untrusted_workspace_never_runs_code(untrusted: ShapelensClient) -> None:
    uri = uri_for("probe_untrusted.py")
    untrusted.open(uri, "open('/tmp/shapelens-should-not-exist', 'w')\n")
    await untrusted.wait_for_published(uri)
    result = await probe(untrusted, uri)
    assert result.status == "disabled" and "untrusted" in result.message
    lenses = await untrusted.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
    )
    assert not lenses
    assert untrusted.kernel_states == []


assert sys.executable  # the server runs the kernel in this same interpreter (where TF is)
