// Entry point: activate / deactivate only. The work lives in python.ts (interpreter),
// server.ts (language client), commands.ts (commands, status bar, model picture) and probe.ts
// (the shape probe's commands, kernel status and output).

import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerProbe } from './probe';
import { ShapelensServer } from './server';

let server: ShapelensServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('shapelens', { log: true });
  server = new ShapelensServer(context, log);
  context.subscriptions.push(log, server);
  registerCommands(context, server);
  registerProbe(context, server);
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
