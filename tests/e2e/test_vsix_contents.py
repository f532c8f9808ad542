"""The packaged extension holds what it needs at run time, and nothing it should not.

    python3 tests/e2e/test_vsix_contents.py [build/shapelens.vsix]    (run.sh does this)

Under pytest it runs when SHAPELENS_VSIX names a .vsix (a stale build/ one is not checked, since
the server files are compared with the checkout's).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT = "extension/"  # where vsce puts the extension's files inside the .vsix
REQUIRED = [
    "package.json",
    "client/out/extension.js",
    "client/out/server.js",
    "client/out/python.js",
    "client/out/commands.js",
    "client/out/modelView.js",
    # the server, its entry point and the custom request the model picture uses
    "client/bundled/server/shapelens/__init__.py",
    "client/bundled/server/shapelens/cli.py",
    "client/bundled/server/shapelens/lsp/server.py",
    "client/bundled/server/shapelens/lsp/model_graph.py",
    "client/bundled/server/shapelens/core/analysis.py",
    # the probe host and the code it runs in the kernel travel as plain files
    "client/bundled/server/shapelens/probe/host.py",
    "client/bundled/server/shapelens/probe/runtime.py",
    "readme.md",  # client/README.md, the extension page
    # the server's pure-Python dependencies
    "client/bundled/libs/pygls/__init__.py",
    "client/bundled/libs/lsprotocol/types.py",
    "client/bundled/libs/cattrs/__init__.py",
    "client/bundled/libs/attrs/__init__.py",
    "client/bundled/libs/typing_extensions.py",
    "client/bundled/libs/exceptiongroup/__init__.py",  # cattrs needs it on Python 3.10
    # the language client, shipped as a production dependency
    "node_modules/vscode-languageclient/package.json",
    "node_modules/vscode-languageclient/lib/node/main.js",
    "node_modules/vscode-languageserver-protocol/package.json",
]
FORBIDDEN_PARTS = {"__pycache__", ".venv", "tests", "typescript", "playwright-core", "eslint", "@vscode"}
FORBIDDEN_SUFFIXES = (".pyc", ".vsix", ".ts")


def problems(vsix: Path) -> list[str]:
    out: list[str] = []
    with zipfile.ZipFile(vsix) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        manifest = json.loads(archive.read(ROOT + "package.json"))
    files = {n[len(ROOT):] for n in names if n.startswith(ROOT)}
    out += [f"missing {name}" for name in REQUIRED if name not in files]
    main = manifest.get("main", "").removeprefix("./")
    if main not in files:
        out.append(f"package.json main {main!r} is not in the .vsix")
    # the bundled server is the checkout's server, file for file
    source = REPO / "server" / "shapelens"
    expected = {
        "client/bundled/server/shapelens/" + p.relative_to(source).as_posix()
        for p in source.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    bundled = {f for f in files if f.startswith("client/bundled/server/") and f.endswith(".py")}
    out += [f"server file not bundled: {f}" for f in sorted(expected - bundled)]
    out += [f"bundled server file not in the checkout: {f}" for f in sorted(bundled - expected)]
    for f in sorted(files):
        parts = f.split("/")
        bad = FORBIDDEN_PARTS.intersection(parts)
        if parts[0] == "node_modules":
            continue  # vsce ships the production dependencies as they are
        if parts[:2] == ["client", "out"] and not f.endswith(".js"):
            bad.add("not compiled output")
        if bad or f.endswith(FORBIDDEN_SUFFIXES) or parts[0] in ("server", "examples", "scripts", "tests"):
            out.append(f"should not be packaged: {f}")
    return out


def test_vsix_contents() -> None:
    import pytest  # only under pytest: run.sh runs this file with a plain python3

    vsix = os.environ.get("SHAPELENS_VSIX")
    if not vsix:
        pytest.skip("set SHAPELENS_VSIX to a .vsix built from this checkout (tests/e2e/run.sh does)")
    found = problems(Path(vsix))
    assert not found, "\n".join(found)


def main(argv: list[str]) -> int:
    vsix = Path(argv[0]) if argv else REPO / "build" / "shapelens.vsix"
    if not vsix.is_file():
        print(f"test_vsix_contents: no .vsix at {vsix} (npm run package builds it)", file=sys.stderr)
        return 1
    found = problems(vsix)
    for problem in found:
        print(f"test_vsix_contents: {problem}", file=sys.stderr)
    with zipfile.ZipFile(vsix) as archive:
        count = len(archive.namelist())
    size = vsix.stat().st_size / 1e6
    print(f"test_vsix_contents: {vsix.name}: {count} entries, {size:.1f} MB: "
          + ("FAILED" if found else "ok"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
