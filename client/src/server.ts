// The language client: starts `<python> -S -m shapelens.cli serve` over stdio.
//
// The server's code and its pure-Python dependencies ship inside the extension
// (client/bundled/server and client/bundled/libs, made by client/scripts/bundle_server.py). They
// reach Python through PYTHONPATH; `-S` keeps the interpreter's own site-packages (and user site)
// out of sys.path, so nothing is ever imported from the user's environment. Running from a source
// checkout without a bundle, the repository's server/ folder is used instead.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { findInterpreter, Interpreter, InterpreterError } from './python';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  // notebook cells: the server declares notebookDocumentSync and keeps the cells itself
  { notebook: '*', language: 'python' },
];

export class ShapelensServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private state: ServerState = 'stopped';
  private detail = '';
  private busy: Promise<void> = Promise.resolve();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly clientEmitter = new vscode.EventEmitter<LanguageClient>();
  /** Fired with each newly started client, to hook custom notifications on it. */
  readonly onDidStartClient = this.clientEmitter.event;
  interpreter: Interpreter | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {}

  get current(): { state: ServerState; detail: string } {
    return { state: this.state, detail: this.detail };
  }

  get languageClient(): LanguageClient | undefined {
    return this.state === 'running' ? this.client : undefined;
  }

  /** Start, stop and restart run one at a time, in the order asked. */
  start(): Promise<void> {
    return this.queue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.queue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.queue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  private queue(step: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(step, step);
    return this.busy;
  }

  private setState(state: ServerState, detail = ''): void {
    this.state = state;
    this.detail = detail;
    this.stateEmitter.fire(state);
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    let python: Interpreter;
    try {
      python = await findInterpreter(resource, this.log);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(message);
      this.setState('failed', message);
      void this.showInterpreterError(message, err instanceof InterpreterError && err.fromSetting);
      return;
    }
    this.interpreter = python;
    this.log.info(`Starting the shapelens server with Python ${python.version}: ${python.command} (${python.source})`);

    const pythonPath = this.serverPythonPath();
    const serverOptions: ServerOptions = {
      command: python.command,
      args: ['-S', '-m', 'shapelens.cli', 'serve'],
      transport: TransportKind.stdio,
      options: {
        cwd: this.context.extensionPath,
        env: {
          ...process.env,
          PYTHONPATH: pythonPath.join(path.delimiter),
          PYTHONNOUSERSITE: '1',
          PYTHONUNBUFFERED: '1',
          PYTHONIOENCODING: 'utf-8',
          PYTHONSTARTUP: '',
        },
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      synchronize: { configurationSection: 'shapelens' },
      // the probe runs user code: only in a trusted workspace
      initializationOptions: { shapelens: settingsSnapshot(), probe: { enabled: vscode.workspace.isTrusted } },
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
    };
    const client = new LanguageClient('shapelens', 'shapelens', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((event) => {
      if (this.client !== client) return;
      if (event.newState === State.Running) this.setState('running', `Python ${python.version}`);
      else if (event.newState === State.Starting) this.setState('starting');
      else if (this.state !== 'failed') this.setState('stopped');
    });
    try {
      await client.start();
      this.setState('running', `Python ${python.version}`);
      this.clientEmitter.fire(client);
    } catch (err) {
      const message = `The shapelens server did not start: ${err instanceof Error ? err.message : String(err)}`;
      this.log.error(message);
      this.setState('failed', message);
      void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
        if (choice) this.log.show();
      });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        if (client.isRunning()) await client.stop(5000);
      } catch (err) {
        this.log.warn(`Stopping the server: ${String(err)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.setState('stopped');
  }

  /** The bundled dependencies and server code, or the checkout's server/ in development. */
  serverPythonPath(): string[] {
    const root = this.context.extensionPath;
    const libs = path.join(root, 'client', 'bundled', 'libs');
    const bundledServer = path.join(root, 'client', 'bundled', 'server');
    const checkout = path.join(root, 'server');
    const out: string[] = [];
    if (fs.existsSync(path.join(bundledServer, 'shapelens'))) out.push(bundledServer);
    else if (fs.existsSync(path.join(checkout, 'shapelens'))) out.push(checkout);
    else this.log.error(`No server code found in ${bundledServer} or ${checkout}.`);
    if (fs.existsSync(libs)) out.push(libs);
    else this.log.warn(`No bundled libraries in ${libs}: run "npm run bundle-server".`);
    return out;
  }

  private async showInterpreterError(message: string, fromSetting: boolean): Promise<void> {
    const open = fromSetting ? 'Open Setting' : 'Set Interpreter';
    const choice = await vscode.window.showErrorMessage(message, open, 'Show Log');
    if (choice === open) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'shapelens.interpreter');
    } else if (choice === 'Show Log') {
      this.log.show();
    }
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.clientEmitter.dispose();
  }
}

/** The `shapelens` settings section as plain JSON, for the server's initialize options. */
function settingsSnapshot(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration('shapelens');
  return {
    diagnostics: { enable: config.get('diagnostics.enable') },
    inlayHints: {
      assignments: config.get('inlayHints.assignments'),
      layers: config.get('inlayHints.layers'),
      runtime: config.get('inlayHints.runtime'),
    },
    probe: { timeout: config.get('probe.timeout') },
    severityOverrides: config.get('severityOverrides'),
    maxFileSizeKB: config.get('maxFileSizeKB'),
  };
}
