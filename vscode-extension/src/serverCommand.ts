/**
 * Which process to start as the language server. Order (first that applies wins):
 *   1. `nvault.server.command` (full argv),
 *   2. `nvault.server.pythonPath` + `-m vault_lsp`,
 *   3. the Python extension's active interpreter + `-m vault_lsp`,
 *   4. `vault-lsp` on PATH.
 * `--root <vault>` is always appended. The interpreter lookup is a callback so the
 * Python extension is only activated when steps 1 and 2 did not apply.
 * A Python interpreter may lack nvault, so after 2 or 3 `vault-lsp` on PATH is the next way
 * to try (`serverCommandCandidates`, `chooseServerCommand`); the user is told what failed.
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
  return (await serverCommandCandidates(inputs))[0];
}

/** Every way to start the server worth trying, best first (see the order above). */
export async function serverCommandCandidates(inputs: CommandInputs): Promise<ServerCommand[]> {
  const rootArgs = ['--root', inputs.vaultRoot];
  const onPath: ServerCommand = { command: SERVER_EXECUTABLE, args: rootArgs, source: 'path' };
  const argv = inputs.serverCommand.filter((s) => s.trim() !== '');
  if (argv.length > 0) {
    return [{ command: argv[0], args: [...argv.slice(1), ...rootArgs], source: 'setting:server.command' }];
  }
  if (inputs.pythonPath.trim()) {
    const python = inputs.pythonPath.trim();
    return [{ command: python, args: ['-m', SERVER_MODULE, ...rootArgs], source: 'setting:server.pythonPath' }, onPath];
  }
  let interpreter: string | undefined;
  try {
    interpreter = (await inputs.activeInterpreter())?.trim();
  } catch {
    interpreter = undefined; // the Python extension is optional; any failure means "not available"
  }
  if (interpreter) {
    return [{ command: interpreter, args: ['-m', SERVER_MODULE, ...rootArgs], source: 'python-extension' }, onPath];
  }
  return [onPath];
}

export interface Failure {
  cmd: ServerCommand;
  reason: string;
}

export interface Choice {
  /** The first candidate that passed its check; undefined when none did. */
  chosen?: ServerCommand;
  /** The candidates tried before it (or all of them), with why each could not be used. */
  failures: Failure[];
}

/**
 * The first candidate `check` accepts. `check` answers undefined for "usable" or a short
 * reason (e.g. "No module named 'vault_lsp'"); a throwing check counts as a failure.
 */
export async function chooseServerCommand(
  candidates: readonly ServerCommand[],
  check: (cmd: ServerCommand) => Promise<string | undefined>,
): Promise<Choice> {
  const failures: Failure[] = [];
  for (const cmd of candidates) {
    let reason: string | undefined;
    try {
      reason = await check(cmd);
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    if (reason === undefined) return { chosen: cmd, failures };
    failures.push({ cmd, reason });
  }
  return { failures };
}

/** True for a command that runs `python -m vault_lsp` (checked by importing the module). */
export function isPythonModuleCommand(cmd: ServerCommand): boolean {
  return cmd.args[0] === '-m' && cmd.args[1] === SERVER_MODULE;
}

function failureLine(f: Failure): string {
  const what = isPythonModuleCommand(f.cmd) ? `${f.cmd.command} -m ${SERVER_MODULE}` : f.cmd.command;
  return `${what} (${describeSource(f.cmd.source)}): ${f.reason}`;
}

function describeSource(source: CommandSource): string {
  switch (source) {
    case 'setting:server.command':
      return 'nvault.server.command';
    case 'setting:server.pythonPath':
      return 'nvault.server.pythonPath';
    case 'python-extension':
      return "the Python extension's interpreter";
    case 'path':
      return 'PATH';
  }
}

/** What to tell the user when a later way started the server (undefined: the first one did). */
export function fallbackNotice(choice: Choice): string | undefined {
  if (!choice.chosen || choice.failures.length === 0) return undefined;
  const first = choice.failures[0];
  const fix = isPythonModuleCommand(first.cmd)
    ? ` To use that interpreter, run '${first.cmd.command} -m pip install nvault'; or set "nvault.server.pythonPath" to a Python that has it.`
    : '';
  return `nvault: ${failureLine(first)}. Started the server with '${choice.chosen.command}' (${describeSource(choice.chosen.source)}) instead.${fix}`;
}

/** What to tell the user when no way worked: each attempt, and how to fix it. */
export function noServerMessage(choice: Choice): string {
  const tried = choice.failures.map(failureLine).join('; ');
  return `nvault: could not start the language server. Tried ${tried}. Install nvault ('pip install nvault') so that 'vault-lsp' is on PATH, or set "nvault.server.pythonPath" to a Python that has it, or "nvault.server.command".`;
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
