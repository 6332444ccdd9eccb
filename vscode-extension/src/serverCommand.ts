/**
 * Which process to start as the language server. Order (first that applies wins):
 *   1. `nvault.server.command` (full argv),
 *   2. `nvault.server.pythonPath` + `-m vault_lsp`,
 *   3. the Python extension's active interpreter + `-m vault_lsp`,
 *   4. `vault-lsp` on PATH.
 * `--root <vault>` is always appended. The interpreter lookup is a callback so the
 * Python extension is only activated when steps 1 and 2 did not apply.
 */
import * as path from 'node:path';

export type CommandSource = 'setting:server.command' | 'setting:server.pythonPath' | 'python-extension' | 'path';

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
}

export interface CommandInputs {
  serverCommand: readonly string[];
  pythonPath: string;
  vaultRoot: string;
  /** Active interpreter from the Python extension, if installed; undefined otherwise. */
  activeInterpreter: () => Promise<string | undefined>;
}

export const SERVER_EXECUTABLE = 'vault-lsp';
export const SERVER_MODULE = 'vault_lsp';

export async function resolveServerCommand(inputs: CommandInputs): Promise<ServerCommand> {
  const rootArgs = ['--root', inputs.vaultRoot];
  const argv = inputs.serverCommand.filter((s) => s.trim() !== '');
  if (argv.length > 0) {
    return { command: argv[0], args: [...argv.slice(1), ...rootArgs], source: 'setting:server.command' };
  }
  if (inputs.pythonPath.trim()) {
    return {
      command: inputs.pythonPath.trim(),
      args: ['-m', SERVER_MODULE, ...rootArgs],
      source: 'setting:server.pythonPath',
    };
  }
  let interpreter: string | undefined;
  try {
    interpreter = (await inputs.activeInterpreter())?.trim();
  } catch {
    interpreter = undefined; // the Python extension is optional; any failure means "not available"
  }
  if (interpreter) {
    return { command: interpreter, args: ['-m', SERVER_MODULE, ...rootArgs], source: 'python-extension' };
  }
  return { command: SERVER_EXECUTABLE, args: rootArgs, source: 'path' };
}

/** One line for logs: the argv with arguments that contain spaces quoted. */
export function describeCommand(cmd: ServerCommand): string {
  const quote = (s: string): string => (/[\s"']/.test(s) ? JSON.stringify(s) : s);
  return [cmd.command, ...cmd.args].map(quote).join(' ') + `  (from ${cmd.source})`;
}

/** A message for when the server process could not be started, saying what to do. */
export function startFailureHint(cmd: ServerCommand, error: string): string {
  const base = `nvault: could not start the language server (${cmd.command}): ${error}.`;
  switch (cmd.source) {
    case 'path':
      return `${base} Install nvault (pip install nvault) so that 'vault-lsp' is on PATH, or set "nvault.server.pythonPath" to a Python that has it, or "nvault.server.command".`;
    case 'python-extension':
      return `${base} The selected Python interpreter may not have nvault installed: run 'pip install nvault' in it, or set "nvault.server.pythonPath".`;
    case 'setting:server.pythonPath':
      return `${base} Check "nvault.server.pythonPath" and that nvault is installed in that interpreter.`;
    case 'setting:server.command':
      return `${base} Check "nvault.server.command".`;
  }
}

export interface ExecutableLookup {
  platform: NodeJS.Platform;
  /** The PATH environment variable. */
  pathEnv: string;
  /** PATHEXT on Windows, e.g. ".COM;.EXE;.BAT;.CMD". */
  pathExt?: string;
  /** Directory a relative command with a separator is resolved from (the server's cwd). */
  cwd: string;
  isExecutableFile(file: string): boolean;
}

/**
 * Where `command` would be found, or undefined. Checked before starting the client,
 * because a missing executable otherwise surfaces only as the language client's
 * generic "couldn't create connection to server" message.
 */
export function findExecutable(command: string, lookup: ExecutableLookup): string | undefined {
  const p = lookup.platform === 'win32' ? path.win32 : path.posix;
  const exts =
    lookup.platform === 'win32'
      ? ['', ...(lookup.pathExt || '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)]
      : [''];
  const candidates = (base: string): string[] => exts.map((ext) => base + ext);
  const hasSeparator = command.includes('/') || (lookup.platform === 'win32' && command.includes('\\'));
  if (hasSeparator || p.isAbsolute(command)) {
    const full = p.isAbsolute(command) ? command : p.resolve(lookup.cwd, command);
    return candidates(full).find((c) => lookup.isExecutableFile(c));
  }
  for (const dir of lookup.pathEnv.split(p.delimiter)) {
    if (!dir) continue;
    const found = candidates(p.join(dir, command)).find((c) => lookup.isExecutableFile(c));
    if (found) return found;
  }
  return undefined;
}
