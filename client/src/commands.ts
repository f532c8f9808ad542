// Commands (restart server, show model graph, show log) and the status bar item.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { ModelGraph, renderPage } from './modelView';
import { ShapelensServer } from './server';

export const MODEL_GRAPH_REQUEST = 'shapelens/modelGraph';
const REFRESH_DELAY_MS = 700;

export function registerCommands(context: vscode.ExtensionContext, server: ShapelensServer): void {
  const modelPanel = new ModelPanel(server);
  context.subscriptions.push(
    modelPanel,
    new StatusItem(server),
    vscode.commands.registerCommand('shapelens.restartServer', async () => {
      server.log.info('Restart requested.');
      await server.restart();
    }),
    vscode.commands.registerCommand('shapelens.showModel', () => modelPanel.showForActiveEditor()),
    vscode.commands.registerCommand('shapelens.showOutput', () => server.log.show()),
  );
}

/** Server state in the status bar; a click opens the server log. */
class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('shapelens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly server: ShapelensServer) {
    this.item.name = 'shapelens server';
    this.item.command = 'shapelens.showOutput';
    this.subscription = server.onDidChangeState(() => this.update());
    this.update();
    this.item.show();
  }

  private update(): void {
    const { state, detail } = this.server.current;
    const icons = { starting: '$(loading~spin)', running: '$(check)', stopped: '$(circle-slash)', failed: '$(error)' };
    this.item.text = `${icons[state]} shapelens`;
    this.item.tooltip = `shapelens server: ${state}${detail ? ` (${detail})` : ''}. Click for the server log.`;
    this.item.accessibilityInformation = { label: `shapelens server ${state}` };
    this.item.backgroundColor =
      state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

/** One webview showing the graph of the model at the cursor, refreshed as the document changes. */
class ModelPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private target: { uri: vscode.Uri; position: vscode.Position } | undefined;
  private graph: ModelGraph | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly server: ShapelensServer) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.panel && this.target && e.document.uri.toString() === this.target.uri.toString()) {
          this.scheduleRefresh();
        }
      }),
    );
  }

  async showForActiveEditor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      void vscode.window.showInformationMessage('shapelens: open a Python file or notebook cell with a Keras model first.');
      return;
    }
    this.target = { uri: editor.document.uri, position: editor.selection.active };
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'shapelens.model',
        'shapelens: model',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.target = undefined;
      });
      this.panel.webview.onDidReceiveMessage((message: { type?: string; id?: string }) => {
        if (message.type === 'reveal' && message.id) void this.reveal(message.id);
      });
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    await this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private async refresh(): Promise<void> {
    const panel = this.panel;
    const target = this.target;
    if (!panel || !target) return;
    let error: string | undefined;
    const client = this.server.languageClient;
    if (!client) {
      error = `The shapelens server is not running (${this.server.current.state}). See "shapelens: Show Server Log".`;
    } else {
      try {
        const answer = await client.sendRequest<ModelGraph | null>(MODEL_GRAPH_REQUEST, {
          textDocument: { uri: client.code2ProtocolConverter.asUri(target.uri) },
          position: { line: target.position.line, character: target.position.character },
        });
        this.graph = answer ?? undefined;
        if (!answer) error = 'The server could not build the model graph; see the server log.';
      } catch (err) {
        error = `The model graph request failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (this.panel !== panel) return;
    const name = this.graph?.model?.name;
    panel.title = name ? `Model: ${name}` : 'shapelens: model';
    panel.webview.html = renderPage(error ? undefined : this.graph, error, randomBytes(16).toString('base64'));
  }

  private async reveal(id: string): Promise<void> {
    const node = this.graph?.nodes.find((n) => n.id === id);
    if (!node?.uri || !node.range) return;
    const uri = vscode.Uri.parse(node.uri);
    const range = new vscode.Range(
      node.range.start.line,
      node.range.start.character,
      node.range.end.line,
      node.range.end.character,
    );
    const document = await vscode.workspace.openTextDocument(uri);
    const existing = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    await vscode.window.showTextDocument(document, {
      viewColumn: existing?.viewColumn ?? vscode.ViewColumn.One,
      selection: range,
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
