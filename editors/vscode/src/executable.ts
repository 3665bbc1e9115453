// Finding the `fgc` executable named by the `fgc.path` setting.
//
// This module has no dependency on the `vscode` API so that it can be unit-tested with
// Node's test runner, without a VS Code instance.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface LookupOptions {
  /** The environment whose `PATH` (and, on Windows, `PATHEXT`) is searched. */
  env: NodeJS.ProcessEnv;
  /** The platform whose path rules apply; `process.platform` by default. */
  platform?: NodeJS.Platform;
  /** The folder that relative paths such as `target/debug/fgc` are resolved against. */
  baseDir?: string;
  /** The home folder that a leading `~` stands for; `os.homedir()` by default. */
  homeDir?: string;
  /** Replacements for `${name}` variables, such as `workspaceFolder`. */
  variables?: Record<string, string | undefined>;
  /** Whether a path is an executable file; a filesystem check by default. */
  isExecutable?: (file: string) => boolean;
}

/** Whether `file` is a regular file that this process may execute. */
export function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (platform === "win32") {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Expands `${variable}` references and a leading `~` in a configured path.
 * Unknown variables are left as written, so that the error message shows them.
 */
export function expandPath(configured: string, opts: Pick<LookupOptions, "homeDir" | "variables" | "env">): string {
  let out = configured.trim();
  out = out.replace(/\$\{(env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, isEnv: string | undefined, name: string) => {
    const value = isEnv ? opts.env[name] : opts.variables?.[name];
    return value === undefined ? whole : value;
  });
  if (out === "~" || out.startsWith("~/") || out.startsWith("~\\")) {
    out = (opts.homeDir ?? os.homedir()) + out.slice(1);
  }
  return out;
}

/** Whether a command is a path (it contains a separator) rather than a name to look up. */
export function isPathLike(command: string, platform: NodeJS.Platform = process.platform): boolean {
  return command.includes("/") || (platform === "win32" && command.includes("\\"));
}

/**
 * Resolves the configured `fgc.path` to an executable file, or `undefined` when there is
 * none: a path (absolute, or relative to `baseDir`) must name an executable file; a bare
 * name is looked up on `PATH` like a shell would (with `PATHEXT` on Windows).
 */
export function findExecutable(configured: string, opts: LookupOptions): string | undefined {
  const platform = opts.platform ?? process.platform;
  const p = platform === "win32" ? path.win32 : path.posix;
  const check = opts.isExecutable ?? ((f: string) => isExecutableFile(f, platform));
  const command = expandPath(configured, opts);
  if (command === "") {
    return undefined;
  }
  const extensions = platform === "win32" ? windowsExtensions(command, opts.env) : [""];

  if (isPathLike(command, platform) || p.isAbsolute(command)) {
    const full = p.isAbsolute(command) ? command : p.resolve(opts.baseDir ?? process.cwd(), command);
    return extensions.map((ext) => full + ext).find(check);
  }

  const searchPath = pathVariable(opts.env, platform) ?? "";
  for (const dir of searchPath.split(p.delimiter)) {
    if (dir === "") {
      continue;
    }
    const unquoted = dir.replace(/^"(.*)"$/, "$1");
    for (const ext of extensions) {
      const candidate = p.join(unquoted, command + ext);
      if (check(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** `PATH`, whatever its case (Windows environments spell it `Path`). */
function pathVariable(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (platform !== "win32") {
    return env.PATH;
  }
  const key = Object.keys(env).find((k) => k.toUpperCase() === "PATH");
  return key === undefined ? undefined : env[key];
}

/** The suffixes tried on Windows: none when the name has one of `PATHEXT`'s, else each of them. */
function windowsExtensions(command: string, env: NodeJS.ProcessEnv): string[] {
  const key = Object.keys(env).find((k) => k.toUpperCase() === "PATHEXT");
  const pathext = (key && env[key]) || ".COM;.EXE;.BAT;.CMD";
  const exts = pathext.split(";").filter((e) => e !== "");
  const lower = command.toLowerCase();
  if (exts.some((e) => lower.endsWith(e.toLowerCase()))) {
    return [""];
  }
  return ["", ...exts];
}

/** The message shown when `fgc.path` names no executable. */
export function notFoundMessage(configured: string, expanded: string): string {
  const shown = configured === expanded ? `"${configured}"` : `"${configured}" (${expanded})`;
  const where = isPathLike(expanded) ? "no executable file is there" : "it is not on PATH";
  return (
    `fg: cannot start the language server: the fgc executable ${shown} was not found (${where}). ` +
    `Install fgc (\`cargo install --path crates/fgc\` in the fgc repository) or set "fgc.path" to its location. ` +
    `Highlighting and snippets work without it.`
  );
}
