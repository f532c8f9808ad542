// The shape probe in VS Code: commands (file, cell, selection, clear, interrupt, restart), the
// kernel's state in the status bar, and the user's output in its own output channel.
//
// The server owns the kernel and the results; these commands only say what to run. Code runs only
// when the user invokes one of them (or a "Probe shapes" code lens), never in an untrusted
// workspace: the server is told so at start and refuses, and the commands say so first.

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { ShapelensServer } from './server';

const PROBE = 'shapelens.server.probe';
const CLEAR = 'shapelens.server.probeClear';
const RESTART = 'shapelens.server.restartKernel';
const INTERRUPT = 'shapelens.server.interruptKernel';
const KERNEL_STATE = 'shapelens/kernelState';
const PROBE_OUTPUT = 'shapelens/probeOutput';
const UNTRUSTED = 'shapelens: the shape probe runs your code, so it is off in an untrusted workspace.';

type KernelState = 'none' | 'starting' | 'idle' | 'busy' | 'dead';

interface ProbeResult {
  status: string;
  message?: string;
  facts?: number;
  seconds?: number;
}

export function registerProbe(context: vscode.ExtensionContext, server: ShapelensServer): void {
  const output = vscode.window.createOutputChannel('shapelens probe');
  const status = new KernelStatus();
  context.subscriptions.push(
    output,
    status,
    server.onDidStartClient((client) => {
      status.set('none');
      client.onNotification(KERNEL_STATE, (params: { state: KernelState }) => status.set(params.state));
      client.onNotification(PROBE_OUTPUT, (params: { text: string }) => output.append(params.text));
    }),
    vscode.commands.registerCommand('shapelens.probeFile', (uri?: string) => probeFile(server, uri)),
    vscode.commands.registerCommand('shapelens.probeCell', (uri?: string, line?: number) => probeCell(server, uri, line)),
    vscode.commands.registerCommand('shapelens.probeSelection', () => probeSelection(server)),
    vscode.commands.registerCommand('shapelens.probeClear', (uri?: string) => clear(server, uri)),
    vscode.commands.registerCommand('shapelens.interruptKernel', () => send(server, INTERRUPT, {})),
    vscode.commands.registerCommand('shapelens.restartKernel', () => send(server, RESTART, {})),
    vscode.commands.registerCommand('shapelens.showProbeOutput', () => output.show(true)),
  );
}

async function probeFile(server: ShapelensServer, uri?: string): Promise<void> {
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  const target = uri ?? notebook?.uri.toString() ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (!target) return noTarget();
  await run(server, { uri: target, scope: 'file' }, 'file');
}

async function probeCell(server: ShapelensServer, uri?: string, line?: number): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const target = uri ?? editor?.document.uri.toString();
  if (!target) return noTarget();
  const at = line ?? editor?.selection.active.line ?? 0;
  await run(server, { uri: target, scope: 'cell', line: at }, 'cell');
}

async function probeSelection(server: ShapelensServer): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('shapelens: select the lines to probe first.');
    return;
  }
  const { start, end } = editor.selection;
  await run(
    server,
    {
      uri: editor.document.uri.toString(),
      scope: 'selection',
      range: { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } },
    },
    'selection',
  );
}

async function clear(server: ShapelensServer, uri?: string): Promise<void> {
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  const target = uri ?? notebook?.uri.toString() ?? vscode.window.activeTextEditor?.document.uri.toString();
  if (target) await send(server, CLEAR, { uri: target });
}

async function run(server: ShapelensServer, args: Record<string, unknown>, what: string): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(UNTRUSTED);
    return;
  }
  const result = await send(server, PROBE, args);
  if (!result) return;
  if (result.status === 'ok') {
    vscode.window.setStatusBarMessage(
      `shapelens: probed the ${what}: ${result.facts ?? 0} values observed in ${(result.seconds ?? 0).toFixed(1)} s`,
      5000,
    );
  } else if (result.status === 'busy' || result.status === 'interrupted') {
    vscode.window.setStatusBarMessage(`shapelens: ${result.message ?? result.status}`, 5000);
  }
  // errors, timeouts and a missing ipykernel are shown by the server (window/showMessage)
}

async function send(server: ShapelensServer, command: string, args: Record<string, unknown>): Promise<ProbeResult | undefined> {
  const client: LanguageClient | undefined = server.languageClient;
  if (!client) {
    void vscode.window.showWarningMessage('shapelens: the language server is not running.');
    return undefined;
  }
  try {
    return await client.sendRequest<ProbeResult>('workspace/executeCommand', { command, arguments: [args] });
  } catch (err) {
    server.log.error(`${command} failed: ${String(err)}`);
    void vscode.window.showErrorMessage(`shapelens: ${String(err)}`);
    return undefined;
  }
}

function noTarget(): void {
  void vscode.window.showInformationMessage('shapelens: open a Python file or notebook to probe.');
}

/** The probe kernel's state; hidden until a kernel exists. A click interrupts a busy kernel. */
class KernelStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('shapelens.kernel', vscode.StatusBarAlignment.Right, 99);

  constructor() {
    this.item.name = 'shapelens probe kernel';
  }

  set(state: KernelState): void {
    if (state === 'none') {
      this.item.hide();
      return;
    }
    const icons: Record<KernelState, string> = {
      none: '',
      starting: '$(loading~spin)',
      idle: '$(circle-large-outline)',
      busy: '$(sync~spin)',
      dead: '$(error)',
    };
    this.item.text = `${icons[state]} kernel ${state}`;
    this.item.tooltip =
      state === 'busy' ? 'shapelens probe kernel: busy. Click to interrupt.' : `shapelens probe kernel: ${state}. Click to show its output.`;
    this.item.command = state === 'busy' ? 'shapelens.interruptKernel' : 'shapelens.showProbeOutput';
    this.item.backgroundColor = state === 'dead' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
