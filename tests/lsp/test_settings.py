"""Settings (``shapelens.*``) are pulled with workspace/configuration at start-up and again on
workspace/didChangeConfiguration; a change re-publishes diagnostics and refreshes inlay hints."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from shapelens.lsp.settings import Settings, parse_settings

from .conftest import DEFAULT_SETTINGS, ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = """\
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
x = tf.zeros((3, 5))
y = x + tf.zeros((3, 2))
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def doc(client: ShapelensClient) -> str:
    uri = uri_for("settings.py")
    mark = client.open(uri, SOURCE)
    await client.wait_for_published(uri, version=1, after=mark)
    return uri


@pytest_asyncio.fixture(loop_scope="module")
async def configure(client: ShapelensClient, doc: str):
    """Change settings the way VS Code does: store them, then notify (the server pulls)."""

    async def apply(settings: dict[str, Any]) -> lsp.PublishDiagnosticsParams:
        mark = len(client.published)
        client.set_configuration(settings, section="shapelens")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        return await client.wait_for_published(doc, after=mark)

    yield apply
    await apply(copy.deepcopy(DEFAULT_SETTINGS))


def with_(**changes: Any) -> dict[str, Any]:
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = settings
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return settings


async def test_diagnostics_can_be_switched_off_and_on(client: ShapelensClient, doc: str, configure):
    off = await configure(with_(diagnostics__enable=False))
    assert list(off.diagnostics) == []
    on = await configure(with_(diagnostics__enable=True))
    assert [d.code for d in on.diagnostics] == ["broadcast"]


async def test_severity_overrides(client: ShapelensClient, doc: str, configure):
    published = await configure(with_(severityOverrides={"broadcast": "warning"}))
    assert [d.severity for d in published.diagnostics] == [lsp.DiagnosticSeverity.Warning]
    published = await configure(with_(severityOverrides={"broadcast": "off"}))
    assert list(published.diagnostics) == []
    published = await configure(with_(severityOverrides={"some-other-code": "hint"}))
    assert [d.severity for d in published.diagnostics] == [lsp.DiagnosticSeverity.Error]


async def test_inlay_hint_kinds_switch_separately(client: ShapelensClient, doc: str, configure):
    def kinds(hints: list[lsp.InlayHint]) -> set[str]:
        return {"layer" if str(h.label).startswith("→") else "assign" for h in hints}

    assert kinds(await client.hints(doc)) == {"layer", "assign"}
    refreshes = client.inlay_refreshes
    await configure(with_(inlayHints__assignments=False))
    assert kinds(await client.hints(doc)) == {"layer"}
    await configure(with_(inlayHints__assignments=True, inlayHints__layers=False))
    assert kinds(await client.hints(doc)) == {"assign"}
    # every change asked the client to re-request its inlay hints
    for _ in range(100):
        if client.inlay_refreshes >= refreshes + 2:
            break
        await asyncio.sleep(0.01)
    assert client.inlay_refreshes >= refreshes + 2


async def test_bad_values_fall_back_to_defaults_and_are_logged(client: ShapelensClient, doc: str, configure):
    logged = len(client.log_messages)
    published = await configure(
        {"diagnostics": {"enable": "yes"}, "severityOverrides": {"broadcast": "loud"}}
    )
    assert [d.severity for d in published.diagnostics] == [lsp.DiagnosticSeverity.Error]
    messages = [m.message for m in client.log_messages[logged:]]
    assert any("shapelens.diagnostics.enable" in m for m in messages)
    assert any("severityOverrides" in m and "loud" in m for m in messages)


async def test_file_size_limit(client: ShapelensClient, doc: str, configure):
    published = await configure(with_(maxFileSizeKB=0.1))
    assert [d.code for d in published.diagnostics] != ["file-too-large"]  # 0.1 is not a valid size
    published = await configure(with_(maxFileSizeKB=1))
    # re-analysed: the document is over 1 KB? it is not, so nothing changes
    assert [d.code for d in published.diagnostics] == ["broadcast"]
    big_uri = uri_for("settings_big.py")
    mark = client.open(big_uri, SOURCE + "# padding\n" * 200)
    published = await client.wait_for_published(big_uri, after=mark)
    assert [d.code for d in published.diagnostics] == ["file-too-large"]
    assert published.diagnostics[0].severity == lsp.DiagnosticSeverity.Information
    assert "shapelens.maxFileSizeKB" in published.diagnostics[0].message
    client.close(big_uri)


async def test_parse_settings_accepts_nested_and_dotted_keys():
    nested, problems = parse_settings(
        {"diagnostics": {"enable": False}, "inlayHints": {"layers": False},
         "severityOverrides": {"dtype-cast": "Info"}}
    )
    assert problems == []
    assert nested == Settings(diagnostics_enable=False, inlay_layers=False,
                              severity_overrides={"dtype-cast": "information"})
    dotted, _ = parse_settings({"shapelens": {"diagnostics.enable": False, "inlayHints.layers": False,
                                              "severityOverrides": {"dtype-cast": "information"}}})
    assert dotted == nested
    assert parse_settings(None) == (Settings(), [])
    assert parse_settings([1, 2])[1]


async def test_folder_settings_apply_to_that_folders_documents_only(client: ShapelensClient):
    """VS Code answers workspace/configuration per scopeUri with the folder's own
    .vscode/settings.json merged in; a document in that folder follows its folder."""
    quiet_dir, strict_dir = uri_for("quiet-folder"), uri_for("strict-folder")
    client.set_configuration(with_(diagnostics__enable=False), section="shapelens", scope_uri=quiet_dir)
    client.set_configuration(
        with_(severityOverrides={"broadcast": "warning"}, inlayHints__assignments=False),
        section="shapelens",
        scope_uri=strict_dir,
    )
    try:
        quiet, strict, plain = f"{quiet_dir}/a.py", f"{strict_dir}/b.py", uri_for("c.py")
        published = {}
        for uri in (quiet, strict, plain):
            mark = client.open(uri, SOURCE)
            published[uri] = await client.wait_for_published(uri, version=1, after=mark)
        assert list(published[quiet].diagnostics) == []  # never flashed: the first publication is empty
        assert [(d.code, d.severity) for d in published[strict].diagnostics] == [
            ("broadcast", lsp.DiagnosticSeverity.Warning)
        ]
        assert [(d.code, d.severity) for d in published[plain].diagnostics] == [
            ("broadcast", lsp.DiagnosticSeverity.Error)
        ]
        assert [h.label for h in await client.hints(strict)] == ["→ (None, 2)"]  # no assignment hints
        assert len(await client.hints(plain)) > 1

        # the folder's setting changes: only that folder's documents follow
        mark = len(client.published)
        client.set_configuration(with_(diagnostics__enable=True), section="shapelens", scope_uri=quiet_dir)
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        now = await client.wait_for_published(quiet, after=mark)
        assert [d.code for d in now.diagnostics] == ["broadcast"]
        for uri in (quiet, strict, plain):
            client.close(uri)
    finally:
        for scope in (quiet_dir, strict_dir):
            client._configuration.pop(scope, None)  # pytest-lsp has no public way to drop a scope
