// Activates the compiled extension against a stand-in for the `vscode` module, to check
// what a user sees when `fgc.path` names no executable: no VS Code instance is needed.

import * as assert from "node:assert/strict";
import Module = require("node:module");
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it, before, after } from "node:test";

interface Recorded {
  errors: { message: string; items: string[] }[];
  executed: { command: string; args: unknown[] }[];
  registered: string[];
  output: string[];
}

/** A minimal `vscode` API: the parts the extension touches, recording what it does. */
function fakeVscode(settings: Record<string, unknown>, answer: string | undefined, rec: Recorded) {
  const disposable = { dispose() {} };
  const api: Record<string, unknown> = {
    window: {
      createOutputChannel: () => ({
        appendLine: (line: string) => rec.output.push(line),
        append: () => {},
        show: () => {},
        dispose: () => {},
      }),
      showErrorMessage: async (message: string, ...items: string[]) => {
        rec.errors.push({ message, items });
        return answer;
      },
    },
    commands: {
      registerCommand: (name: string) => {
        rec.registered.push(name);
        return disposable;
      },
      executeCommand: async (command: string, ...args: unknown[]) => {
        rec.executed.push({ command, args });
      },
    },
    workspace: {
      getConfiguration: () => ({ get: (key: string) => settings[key] }),
      onDidChangeConfiguration: () => disposable,
      createFileSystemWatcher: () => disposable,
      workspaceFolders: [{ uri: { fsPath: path.join(__dirname, "no-such-workspace") } }],
    },
  };
  // vscode-languageclient reads a few enums and classes when it loads; any other member
  // is a harmless stand-in.
  const stub: object = new Proxy(function () {}, { get: (_t, p) => (p === "prototype" ? {} : stub) });
  return new Proxy(api, { get: (target, p: string) => (p in target ? target[p] : stub) });
}

const moduleInternals = Module as unknown as {
  _load: (request: string, parent: unknown, isMain: boolean) => unknown;
};

/** The extension as tsc compiles it, and as esbuild bundles it into the .vsix. */
const ENTRIES: Record<string, string> = {
  compiled: require.resolve("../../src/extension"),
  bundled: path.resolve(__dirname, "..", "..", "..", "dist", "extension.js"),
};

async function activateWith(
  entry: string,
  settings: Record<string, unknown>,
  answer: string | undefined,
): Promise<Recorded> {
  const rec: Recorded = { errors: [], executed: [], registered: [], output: [] };
  const vscode = fakeVscode(settings, answer, rec);
  const load = moduleInternals._load;
  moduleInternals._load = (request, parent, isMain) => (request === "vscode" ? vscode : load(request, parent, isMain));
  delete require.cache[entry];
  try {
    const extension = require(entry);
    const subscriptions: unknown[] = [];
    await extension.activate({ subscriptions });
    // The error message is shown without blocking activation; let its handler run.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    moduleInternals._load = load;
  }
  return rec;
}

for (const [kind, entry] of Object.entries(ENTRIES)) {
  const name = `activation without an fgc executable (${kind}: ${path.basename(path.dirname(entry))}/extension.js)`;
  const skip = fs.existsSync(entry) ? false : `${entry} is not built (npm run bundle)`;

  describe(name, { skip }, () => {
    let saved: string | undefined;
    before(() => {
      saved = process.env.PATH;
      process.env.PATH = path.join(__dirname, "no-such-bin");
    });
    after(() => {
      process.env.PATH = saved;
    });

    it("registers its commands", async () => {
      const rec = await activateWith(entry, { path: "fgc" }, undefined);
      assert.deepEqual(rec.registered.sort(), ["fgc.restartServer", "fgc.showOutput"]);
    });

    it("shows an error naming the executable, with a button to open the settings", async () => {
      const rec = await activateWith(entry, { path: "fgc" }, undefined);
      assert.equal(rec.errors.length, 1);
      assert.match(rec.errors[0].message, /the fgc executable "fgc" was not found/);
      assert.deepEqual(rec.errors[0].items, ["Open Settings", "Retry"]);
      assert.ok(rec.output.some((l) => l.includes("was not found")));
    });

    it("opens the fgc.path setting when the button is pressed", async () => {
      const rec = await activateWith(entry, { path: "${workspaceFolder}/target/debug/fgc" }, "Open Settings");
      assert.match(rec.errors[0].message, /target\/debug\/fgc/);
      assert.deepEqual(rec.executed, [{ command: "workbench.action.openSettings", args: ["fgc.path"] }]);
    });
  });
}
