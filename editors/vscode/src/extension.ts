// The fg extension: starts `fgc lsp` for .fg files. Highlighting, snippets and the
// language configuration are contributed declaratively in package.json.

import * as vscode from "vscode";
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";
import { expandPath, findExecutable, notFoundMessage } from "./executable";

const SECTION = "fgc";
const OPEN_SETTINGS = "Open Settings";
const SHOW_OUTPUT = "Show Output";
const RETRY = "Retry";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
/** Serialises starts and stops, so that quick setting changes cannot start two servers. */
let pending: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("fgc");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("fgc.restartServer", () => restart()),
    vscode.commands.registerCommand("fgc.showOutput", () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.path`) || e.affectsConfiguration(`${SECTION}.args`)) {
        void restart();
      }
    }),
  );
  return restart();
}

export function deactivate(): Promise<void> {
  return (pending = pending.then(stop));
}

function restart(): Promise<void> {
  pending = pending.then(stop).then(start);
  return pending;
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch (e) {
      output?.appendLine(`stopping the language server failed: ${String(e)}`);
    }
  }
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const configured = (config.get<string>("path") ?? "fgc").trim() || "fgc";
  const args = config.get<string[]>("args") ?? [];
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const lookup = {
    env: process.env,
    baseDir: folder,
    variables: { workspaceFolder: folder, workspaceRoot: folder },
  };

  const command = findExecutable(configured, lookup);
  if (command === undefined) {
    const expanded = expandPath(configured, lookup);
    output?.appendLine(notFoundMessage(configured, expanded));
    void notFound(configured, expanded);
    return;
  }

  const executable: Executable = { command, args: ["lsp", ...args], options: { env: process.env } };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "fg" },
      { scheme: "untitled", language: "fg" },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.fg") },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };

  output?.appendLine(`starting ${command} lsp`);
  const next = new LanguageClient(SECTION, "fgc language server", serverOptions, clientOptions);
  try {
    await next.start();
    client = next;
  } catch (e) {
    output?.appendLine(`the language server did not start: ${String(e)}`);
    try {
      await next.dispose();
    } catch {
      // It never ran; there is nothing to clean up.
    }
    void startFailed(command, e);
  }
}

async function notFound(configured: string, expanded: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(notFoundMessage(configured, expanded), OPEN_SETTINGS, RETRY);
  if (choice === OPEN_SETTINGS) {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
  } else if (choice === RETRY) {
    await restart();
  }
}

async function startFailed(command: string, error: unknown): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  const choice = await vscode.window.showErrorMessage(
    `fg: "${command} lsp" did not start (${reason}). An fgc older than its language server has no \`lsp\` ` +
      `command: update fgc or point "fgc.path" at a newer build.`,
    SHOW_OUTPUT,
    OPEN_SETTINGS,
  );
  if (choice === SHOW_OUTPUT) {
    output?.show(true);
  } else if (choice === OPEN_SETTINGS) {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
  }
}
