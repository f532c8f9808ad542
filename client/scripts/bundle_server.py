"""Bundle the language server into the extension (run before `vsce package`).

    client/bundled/libs/     the server's dependencies (pyproject's `server` extra, those the
                             server code imports, and what they need), pure-Python wheels only
    client/bundled/server/   the `shapelens` package itself (server/shapelens, without caches)

The extension puts both on PYTHONPATH and starts the user's Python with `-S`, so the server never
imports anything from the user's environment. Wheels are chosen for the oldest supported Python
(3.10) as pure-Python `py3-none-any` builds, so the bundle runs on any Python >= 3.10 on any OS;
backports only needed on 3.10 (exceptiongroup, ...) are harmless on newer versions.

Usage: python3 client/scripts/bundle_server.py   (from anywhere; needs pip and the package index)
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "client" / "bundled"
OLDEST_PYTHON = "3.10"


def server_requirements() -> list[str]:
    """The `server` extra of pyproject.toml (read without tomllib, which 3.10 lacks)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r"^server\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    if not match:
        sys.exit("bundle_server: no `server = [...]` extra in pyproject.toml")
    return re.findall(r"\"([^\"]+)\"", match.group(1))


def pip_install(target: Path, requirements: list[str], upgrade: bool = True) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--target", str(target),
            "--python-version", OLDEST_PYTHON, "--implementation", "py", "--abi", "none",
            "--platform", "any", "--only-binary=:all:",
            *([] if upgrade else ["--no-deps"]),
            *requirements,
        ],
        check=True,
    )


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def missing_for_oldest(libs: Path) -> list[str]:
    """Requirements of the bundled distributions that apply on OLDEST_PYTHON but are absent."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors packaging
        from pip._vendor.packaging.requirements import Requirement
    env = {"python_version": OLDEST_PYTHON, "python_full_version": f"{OLDEST_PYTHON}.0", "extra": ""}
    present: set[str] = set()
    wanted: dict[str, str] = {}
    for info in libs.glob("*.dist-info"):
        present.add(_canonical(info.name.removesuffix(".dist-info").rsplit("-", 1)[0]))
        for line in (info / "METADATA").read_text(encoding="utf-8").splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None or req.marker.evaluate(env):
                wanted.setdefault(_canonical(req.name), f"{req.name}{req.specifier}")
    return sorted(spec for name, spec in wanted.items() if name not in present)


def imported_modules() -> set[str]:
    """Top-level names the server code imports (anywhere, including inside functions)."""
    names: set[str] = set()
    for path in (ROOT / "server" / "shapelens").rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def needed(requirements: list[str]) -> list[str]:
    """The requirements the server imports. An unused one is left out: jedi, for one, is 33 MB
    of typeshed stubs, and vsce's secret scan of its 5,000 files takes ~10 minutes."""
    used = imported_modules()
    out = []
    for requirement in requirements:
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        if name.replace("-", "_").lower() in used:
            out.append(requirement)
        else:
            print(f"bundle_server: not bundling {requirement}: the server does not import {name}")
    return out


def main() -> int:
    requirements = needed(server_requirements())
    libs = BUNDLED / "libs"
    server = BUNDLED / "server"
    # the dependencies are reinstalled only when what is asked for changes
    wanted = json.dumps({"requirements": requirements, "python": OLDEST_PYTHON})
    stamp = libs / ".bundle-stamp"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        print(f"bundle_server: {libs.relative_to(ROOT)} is up to date")
    else:
        shutil.rmtree(libs, ignore_errors=True)
        libs.mkdir(parents=True)
        print(f"bundle_server: installing {', '.join(requirements)} into {libs.relative_to(ROOT)}")
        pip_install(libs, requirements)
        # pip evaluates dependency markers for the running Python, not for --python-version: add
        # what the bundle needs on the oldest supported Python (exceptiongroup for cattrs, ...)
        for _ in range(5):
            extra = missing_for_oldest(libs)
            if not extra:
                break
            print(f"bundle_server: adding for Python {OLDEST_PYTHON}: {', '.join(extra)}")
            pip_install(libs, extra, upgrade=False)
        shutil.rmtree(libs / "bin", ignore_errors=True)
        stamp.write_text(wanted, encoding="utf-8")
    shutil.rmtree(server, ignore_errors=True)
    shutil.copytree(
        ROOT / "server" / "shapelens",
        server / "shapelens",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    # make sure the bundle imports with this interpreter and nothing else on the path
    check = (
        "import sys; sys.path[:0] = sys.argv[1:3]; "
        "import pygls, lsprotocol, shapelens.lsp.server; print(shapelens.lsp.server.__file__)"
    )
    found = subprocess.run(
        [sys.executable, "-S", "-B", "-c", check, str(server), str(libs)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    if not found.startswith(str(server)):
        sys.exit(f"bundle_server: the bundled server did not import from the bundle ({found})")
    for cache in BUNDLED.rglob("__pycache__"):
        shutil.rmtree(cache)
    (BUNDLED / ".gitignore").write_text("# generated by client/scripts/bundle_server.py\n*\n")
    (ROOT / "build").mkdir(exist_ok=True)  # where `npm run package` writes the .vsix
    packages = sorted(p.name for p in libs.iterdir() if p.name.endswith(".dist-info"))
    print("bundle_server: bundled " + ", ".join(p.removesuffix(".dist-info") for p in packages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
