// An isolated code-server (real VS Code for the browser) for the e2e test: its own config,
// user data, extensions and XDG/TMP folders under one temporary root, so nothing touches $HOME.
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run the test through tests/e2e/run.sh)`);
  return value;
}

/** The environment every code-server process gets. */
function environment(root) {
  return {
    ...process.env,
    PATH: `${required('NODE24_BIN')}${path.delimiter}${process.env.PATH}`, // code-server needs node 24
    XDG_DATA_HOME: path.join(root, 'xdg', 'data'),
    XDG_CONFIG_HOME: path.join(root, 'xdg', 'config'),
    XDG_CACHE_HOME: path.join(root, 'xdg', 'cache'),
    TMPDIR: path.join(root, 'tmp'), // vscode-ipc-*.sock and vscode-git-*.sock go here
  };
}

/** A fresh root with user settings; the .vsix installed into its extensions folder. */
function prepare({ vsix, settings }) {
  const base = process.env.E2E_TMP || path.join(os.tmpdir(), 'shapelens-e2e');
  fs.mkdirSync(base, { recursive: true });
  const root = fs.mkdtempSync(path.join(base, 'run-'));
  const userData = path.join(root, 'user-data');
  const extensions = path.join(root, 'extensions');
  for (const dir of [path.join(userData, 'User'), extensions, path.join(root, 'tmp'), path.join(root, 'xdg')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const config = path.join(root, 'config.yaml');
  fs.writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\n');
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  const out = execFileSync(required('CODE_SERVER'), [...common, '--install-extension', vsix, '--force'], {
    env: environment(root),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180000,
  });
  return { root, userData, extensions, common, installLog: out };
}

/** Start code-server on a free loopback port; resolves once it listens. */
function start(ctx, folder, { timeoutMs = 90000 } = {}) {
  const args = [
    ...ctx.common,
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    ...(process.env.E2E_TRACE ? ['--log', 'trace'] : []), // with shapelens.trace.server: LSP messages in the log
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    folder,
  ];
  const logPath = path.join(ctx.root, 'code-server.log');
  const log = fs.openSync(logPath, 'w');
  // its own process group: stopping it stops the extension host and the language server too
  const proc = spawn(required('CODE_SERVER'), args, {
    env: environment(ctx.root),
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      const text = fs.readFileSync(logPath, 'utf8');
      const m = text.match(/HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearInterval(timer);
        resolve({ proc, url: m[1], logPath });
      } else if (proc.exitCode !== null || Date.now() - t0 > timeoutMs) {
        clearInterval(timer);
        stop(proc).finally(() => reject(new Error(`code-server did not start:\n${text}`)));
      }
    }, 100);
  });
}

async function stop(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** Log files worth reading when something failed: code-server's, the extension host's, ours. */
function logFiles(ctx, server) {
  const files = server ? [server.logPath] : [];
  const logs = path.join(ctx.userData, 'logs');
  if (fs.existsSync(logs)) {
    for (const f of fs.readdirSync(logs, { recursive: true })) {
      const name = String(f);
      if (/shapelens.*\.log$/.test(name) || name.endsWith('remoteexthost.log') || name.endsWith('exthost.log')) {
        files.push(path.join(logs, name));
      }
    }
  }
  return files;
}

module.exports = { prepare, start, stop, logFiles };
