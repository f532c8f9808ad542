// Entry point: activate / deactivate only. The work lives in python.ts (interpreter),
// server.ts (language client) and commands.ts (commands, status bar, model picture).

import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ShapelensServer } from './server';

let server: ShapelensServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('shapelens', { log: true });
  server = new ShapelensServer(context, log);
  context.subscriptions.push(log, server);
  registerCommands(context, server);
  const running = server;
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('shapelens.interpreter')) void running.restart();
    }),
    // trusting the workspace makes its shapelens.interpreter setting count
    vscode.workspace.onDidGrantWorkspaceTrust(() => void running.restart()),
  );
  await server.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
