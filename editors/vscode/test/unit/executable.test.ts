// Finding the fgc executable from the `fgc.path` setting.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it, before, after } from "node:test";
import { expandPath, findExecutable, isExecutableFile, isPathLike, notFoundMessage } from "../../src/executable";

describe("findExecutable on a real filesystem", () => {
  let dir: string;
  let bin: string;
  let other: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fg-vscode-"));
    bin = path.join(dir, "bin");
    other = path.join(dir, "other");
    fs.mkdirSync(bin);
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(bin, "fgc"), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(other, "fgc"), "not executable", { mode: 0o644 });
    fs.mkdirSync(path.join(other, "fgc-dir"));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds a bare name on PATH", { skip: process.platform === "win32" }, () => {
    const env = { PATH: [other, bin].join(path.delimiter) };
    assert.equal(findExecutable("fgc", { env }), path.join(bin, "fgc"));
  });

  it("skips files that are not executable and folders", { skip: process.platform === "win32" }, () => {
    assert.equal(isExecutableFile(path.join(other, "fgc")), false);
    assert.equal(isExecutableFile(path.join(other, "fgc-dir")), false);
    assert.equal(findExecutable("fgc", { env: { PATH: other } }), undefined);
    assert.equal(findExecutable("fgc-dir", { env: { PATH: other } }), undefined);
  });

  it("returns undefined when PATH is missing or empty", () => {
    assert.equal(findExecutable("fgc", { env: {} }), undefined);
    assert.equal(findExecutable("fgc", { env: { PATH: "" } }), undefined);
  });

  it("accepts an absolute path to an executable", { skip: process.platform === "win32" }, () => {
    const abs = path.join(bin, "fgc");
    assert.equal(findExecutable(abs, { env: {} }), abs);
    assert.equal(findExecutable(path.join(other, "fgc"), { env: {} }), undefined);
    assert.equal(findExecutable(path.join(dir, "missing", "fgc"), { env: {} }), undefined);
  });

  it("resolves a relative path against the workspace folder, not PATH", { skip: process.platform === "win32" }, () => {
    assert.equal(findExecutable("bin/fgc", { env: { PATH: other }, baseDir: dir }), path.join(bin, "fgc"));
    assert.equal(findExecutable("./bin/fgc", { env: {}, baseDir: dir }), path.join(bin, "fgc"));
    assert.equal(findExecutable("other/fgc", { env: { PATH: bin }, baseDir: dir }), undefined);
  });

  it("expands ${workspaceFolder} and ~", { skip: process.platform === "win32" }, () => {
    const opts = { env: {}, variables: { workspaceFolder: dir }, homeDir: dir };
    assert.equal(findExecutable("${workspaceFolder}/bin/fgc", opts), path.join(bin, "fgc"));
    assert.equal(findExecutable("~/bin/fgc", opts), path.join(bin, "fgc"));
  });
});

describe("findExecutable with Windows rules", () => {
  const files = new Set(["C:\\tools\\fgc.EXE", "C:\\other\\fgc.cmd", "D:\\fgc\\target\\debug\\fgc.exe"]);
  const isExecutable = (f: string) => [...files].some((x) => x.toLowerCase() === f.toLowerCase());

  it("tries PATHEXT suffixes on Path, whatever its case", () => {
    const env = { Path: "C:\\empty;C:\\tools", PATHEXT: ".COM;.EXE;.BAT;.CMD" };
    assert.equal(findExecutable("fgc", { env, platform: "win32", isExecutable }), "C:\\tools\\fgc.EXE");
  });

  it("does not add a suffix to a name that has one", () => {
    const env = { PATH: "C:\\other;C:\\tools", PATHEXT: ".EXE;.CMD" };
    assert.equal(findExecutable("fgc.cmd", { env, platform: "win32", isExecutable }), "C:\\other\\fgc.cmd");
  });

  it("strips quotes from PATH entries", () => {
    const env = { PATH: '"C:\\tools"' };
    assert.equal(findExecutable("fgc", { env, platform: "win32", isExecutable }), "C:\\tools\\fgc.EXE");
  });

  it("treats backslashes as separators and tries PATHEXT on paths", () => {
    const opts = { env: {}, platform: "win32" as const, isExecutable, baseDir: "D:\\fgc" };
    assert.equal(findExecutable("target\\debug\\fgc", opts), "D:\\fgc\\target\\debug\\fgc.EXE");
    assert.equal(isPathLike("target\\debug\\fgc", "win32"), true);
    assert.equal(isPathLike("target\\debug\\fgc", "linux"), false);
  });
});

describe("expandPath", () => {
  it("replaces known variables and environment variables, keeps unknown ones", () => {
    const opts = { env: { FGC_HOME: "/opt/fgc" }, variables: { workspaceFolder: "/ws" }, homeDir: "/home/me" };
    assert.equal(expandPath("${workspaceFolder}/target/debug/fgc", opts), "/ws/target/debug/fgc");
    assert.equal(expandPath("${env:FGC_HOME}/bin/fgc", opts), "/opt/fgc/bin/fgc");
    assert.equal(expandPath("${userHome}/fgc", opts), "${userHome}/fgc");
    assert.equal(expandPath("  ~/bin/fgc  ", opts), "/home/me/bin/fgc");
    assert.equal(expandPath("a~b", opts), "a~b");
  });

  it("leaves an empty setting empty, which finds nothing", () => {
    assert.equal(expandPath("   ", { env: {} }), "");
    assert.equal(findExecutable("   ", { env: { PATH: "/usr/bin" } }), undefined);
  });
});

describe("notFoundMessage", () => {
  it("names the setting, what was looked for and how to fix it", () => {
    const m = notFoundMessage("fgc", "fgc");
    assert.match(m, /"fgc" was not found \(it is not on PATH\)/);
    assert.match(m, /"fgc\.path"/);
    assert.match(m, /cargo install --path crates\/fgc/);
  });

  it("shows the expanded path when it differs", () => {
    const m = notFoundMessage("${workspaceFolder}/fgc", "/ws/fgc");
    assert.match(m, /"\$\{workspaceFolder\}\/fgc" \(\/ws\/fgc\)/);
    assert.match(m, /no executable file is there/);
  });
});
