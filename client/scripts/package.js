// `npm run package`: build/shapelens.vsix with @vscode/vsce, packaged from a staging folder.
//
// vsce walks every file under the folder it packages and matches each against the ignore
// patterns; in a checkout with a Python virtual environment (tens of thousands of files) that
// takes many minutes. So the files the extension ships are copied to build/vsix-stage first:
// the manifest, client/out (compiled by tsc), client/bundled (bundle_server.py), the production
// npm dependencies, and vsce packages that. `npm run prepackage` (run by npm before this) makes
// client/out and client/bundled.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');
const STAGE = path.join(REPO, 'build', 'vsix-stage');
const OUT = path.resolve(REPO, process.argv[2] || path.join('build', 'shapelens.vsix'));

function copy(rel, filter) {
  const from = path.join(REPO, rel);
  if (!fs.existsSync(from)) return false;
  fs.cpSync(from, path.join(STAGE, rel), { recursive: true, filter: filter || (() => true) });
  return true;
}

function main() {
  for (const needed of ['client/out/extension.js', 'client/bundled/server/shapelens/cli.py']) {
    if (!fs.existsSync(path.join(REPO, needed))) {
      throw new Error(`${needed} is missing: run "npm run prepackage" (tsc + bundle_server.py) first`);
    }
  }
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(STAGE, { recursive: true });

  // the manifest, without scripts: vsce would run vscode:prepublish (tsc) again, in the stage
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  delete manifest.scripts;
  fs.writeFileSync(path.join(STAGE, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const rel of ['.vscodeignore', 'LICENSE', 'client/README.md']) copy(rel);
  copy('client/out', (src) => !src.endsWith('.map'));
  const generated = new Set(['.gitignore', '.bundle-stamp']); // bundle_server.py's own files
  copy('client/bundled', (src) => !src.includes('__pycache__') && !src.endsWith('.pyc') && !generated.has(path.basename(src)));

  // production dependencies only (vscode-languageclient and what it needs)
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, encoding: 'utf8' });
  const deps = listed.split('\n').map((l) => l.trim()).filter((l) => l && l !== REPO);
  for (const dep of deps) copy(path.relative(REPO, dep));

  const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  execFileSync(
    process.execPath,
    [vsce, 'package', '--skip-license', '--allow-missing-repository', '--readme-path', 'client/README.md', '-o', OUT],
    { cwd: STAGE, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

try {
  main();
} catch (err) {
  console.error(`package: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
