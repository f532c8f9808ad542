// Which Python runs the language server.
//
// In order: the `shapelens.interpreter` setting; else the Python extension's active environment
// (only when that extension is installed; its API is optional); else `python3` on PATH. The
// interpreter must be Python 3.10 or newer. Only the interpreter itself is used: the server and
// its dependencies come from the extension's bundled folders (see server.ts).

import { execFile } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export const MIN_VERSION: readonly [number, number] = [3, 10];
const PROBE_TIMEOUT_MS = 20000;
const PYTHON_EXTENSION_ID = 'ms-python.python';

export type InterpreterSource = 'setting' | 'python-extension' | 'path';

export interface Interpreter {
  command: string;
  source: InterpreterSource;
  version: string;
}

/** No usable interpreter; `message` is meant for the user, as is. */
export class InterpreterError extends Error {
  constructor(message: string, readonly fromSetting: boolean) {
    super(message);
  }
}

interface Candidate {
  command: string;
  source: InterpreterSource;
}

const SOURCE_WORDS: Record<InterpreterSource, string> = {
  setting: 'the shapelens.interpreter setting',
  'python-extension': "the Python extension's active environment",
  path: 'PATH',
};

/** Find a Python >= 3.10 for `resource` (the document or workspace folder it is for). */
export async function findInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<Interpreter> {
  const configured = configuredInterpreter(resource);
  if (configured) {
    // an explicit choice is never silently replaced by another interpreter
    const checked = await check({ command: configured, source: 'setting' });
    if (typeof checked === 'string') throw new InterpreterError(checked, true);
    return checked;
  }
  const problems: string[] = [];
  const candidates: Candidate[] = [];
  const fromExtension = await pythonExtensionInterpreter(resource, log);
  if (fromExtension) candidates.push({ command: fromExtension, source: 'python-extension' });
  candidates.push({ command: process.platform === 'win32' ? 'python' : 'python3', source: 'path' });
  for (const candidate of candidates) {
    const checked = await check(candidate);
    if (typeof checked !== 'string') return checked;
    log.warn(checked);
    problems.push(checked);
  }
  throw new InterpreterError(
    `${problems.join(' ')} Set "shapelens.interpreter" to a Python ${MIN_VERSION.join('.')} or newer.`,
    false,
  );
}

export function configuredInterpreter(resource: vscode.Uri | undefined): string | undefined {
  // In an untrusted workspace VS Code answers restricted settings (see package.json) from the
  // user settings only, so a workspace cannot pick the program that runs here.
  const raw = vscode.workspace.getConfiguration('shapelens', resource).get<string>('interpreter', '').trim();
  return raw ? expandPath(raw, resource) : undefined;
}

function expandPath(value: string, resource: vscode.Uri | undefined): string {
  const folder =
    (resource && vscode.workspace.getWorkspaceFolder(resource)) ?? vscode.workspace.workspaceFolders?.[0];
  let out = value.replace(/\$\{userHome\}/g, os.homedir());
  if (folder) out = out.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
  if (out === '~' || out.startsWith('~/')) out = path.join(os.homedir(), out.slice(1));
  if (folder && !path.isAbsolute(out) && (out.includes('/') || out.includes('\\'))) {
    out = path.join(folder.uri.fsPath, out); // a relative path names a file in the workspace
  }
  return out;
}

/** The subset of the Python extension's API (ms-python.python) used here. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined;
    resolveEnvironment(
      env: { id: string; path: string } | string,
    ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await withTimeout(extension.activate(), 15000);
    if (!api) return undefined;
    const envs = api.environments;
    if (envs) {
      const active = envs.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = await withTimeout(envs.resolveEnvironment(active), 15000);
        const exe = resolved?.executable.uri?.fsPath ?? active.path;
        if (exe) return exe;
      }
    }
    const command = api.settings?.getExecutionDetails?.(resource).execCommand;
    if (command && command.length === 1) return command[0];
  } catch (err) {
    log.warn(`The Python extension did not say which interpreter is active: ${String(err)}`);
  }
  return undefined;
}

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

const VERSION_SCRIPT = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';

/** The interpreter with its version, or a sentence saying why it cannot be used. */
async function check(candidate: Candidate): Promise<Interpreter | string> {
  const where = SOURCE_WORDS[candidate.source];
  const result = await run(candidate.command, ['-c', VERSION_SCRIPT]);
  if (result.error) {
    const reason = result.notFound ? 'it was not found' : result.error;
    return `Cannot run Python "${candidate.command}" (from ${where}): ${reason}.`;
  }
  const version = result.stdout.trim();
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return `"${candidate.command}" (from ${where}) does not look like Python: it printed "${version}".`;
  if (!isSupported(Number(match[1]), Number(match[2]))) {
    return (
      `shapelens needs Python ${MIN_VERSION.join('.')} or newer to run its language server, ` +
      `but "${candidate.command}" (from ${where}) is Python ${version}.`
    );
  }
  return { command: candidate.command, source: candidate.source, version };
}

export function isSupported(major: number, minor: number): boolean {
  return major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1]);
}

interface RunResult {
  stdout: string;
  error?: string;
  notFound?: boolean;
}

function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      // no site-packages, no PYTHON* variables: only the version is asked for
      { timeout: PROBE_TIMEOUT_MS, windowsHide: true, env: { ...process.env, PYTHONPATH: '', PYTHONSTARTUP: '' } },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout });
        const code = (error as NodeJS.ErrnoException).code;
        const detail = String(stderr || error.message).trim().split('\n').slice(-1)[0];
        resolve({ stdout, error: detail, notFound: code === 'ENOENT' });
      },
    );
  });
}
