import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  chooseServerCommand,
  describeCommand,
  fallbackNotice,
  findExecutable,
  isPythonModuleCommand,
  noServerMessage,
  resolveServerCommand,
  serverCommandCandidates,
  startFailureHint,
  type CommandInputs,
} from '../src/serverCommand';

function inputs(overrides: Partial<CommandInputs> & { interpreter?: string | Error }): CommandInputs & { asked: () => number } {
  let asked = 0;
  const { interpreter, ...rest } = overrides;
  return {
    serverCommand: [],
    pythonPath: '',
    vaultRoot: '/v',
    activeInterpreter: async () => {
      asked++;
      if (interpreter instanceof Error) throw interpreter;
      return interpreter;
    },
    ...rest,
    asked: () => asked,
  };
}

describe('resolveServerCommand', () => {
  it('1. uses nvault.server.command first and never asks the Python extension', async () => {
    const i = inputs({ serverCommand: ['uv', 'run', 'vault-lsp'], pythonPath: '/py', interpreter: '/ext/py' });
    const cmd = await resolveServerCommand(i);
    assert.deepEqual(cmd, { command: 'uv', args: ['run', 'vault-lsp', '--root', '/v'], source: 'setting:server.command' });
    assert.equal(i.asked(), 0);
  });

  it('2. then nvault.server.pythonPath -m vault_lsp', async () => {
    const i = inputs({ pythonPath: ' /opt/py/bin/python ', interpreter: '/ext/py' });
    const cmd = await resolveServerCommand(i);
    assert.deepEqual(cmd, {
      command: '/opt/py/bin/python',
      args: ['-m', 'vault_lsp', '--root', '/v'],
      source: 'setting:server.pythonPath',
    });
    assert.equal(i.asked(), 0);
  });

  it('3. then the Python extension interpreter', async () => {
    const i = inputs({ interpreter: '/home/me/.venv/bin/python' });
    const cmd = await resolveServerCommand(i);
    assert.deepEqual(cmd, {
      command: '/home/me/.venv/bin/python',
      args: ['-m', 'vault_lsp', '--root', '/v'],
      source: 'python-extension',
    });
    assert.equal(i.asked(), 1);
  });

  it('4. else vault-lsp on PATH (no Python extension, or it failed)', async () => {
    for (const interpreter of [undefined, '', new Error('extension crashed')]) {
      const cmd = await resolveServerCommand(inputs({ interpreter }));
      assert.deepEqual(cmd, { command: 'vault-lsp', args: ['--root', '/v'], source: 'path' });
    }
  });

  it('ignores blank entries in server.command', async () => {
    const cmd = await resolveServerCommand(inputs({ serverCommand: ['', '  '], pythonPath: '/py' }));
    assert.equal(cmd.source, 'setting:server.pythonPath');
  });

  it('passes a root with spaces as one argument', async () => {
    const cmd = await resolveServerCommand(inputs({ vaultRoot: '/My Notes/vault' }));
    assert.deepEqual(cmd.args, ['--root', '/My Notes/vault']);
    assert.equal(describeCommand(cmd), 'vault-lsp --root "/My Notes/vault"  (from path)');
  });
});

describe('startFailureHint', () => {
  it('says what to do for each source', () => {
    const path = startFailureHint({ command: 'vault-lsp', args: [], source: 'path' }, 'spawn vault-lsp ENOENT');
    assert.match(path, /spawn vault-lsp ENOENT/);
    assert.match(path, /pip install nvault/);
    assert.match(path, /nvault\.server\.pythonPath/);
    const ext = startFailureHint({ command: '/py', args: [], source: 'python-extension' }, 'exit 1');
    assert.match(ext, /selected Python interpreter/);
    const cmd = startFailureHint({ command: 'x', args: [], source: 'setting:server.command' }, 'boom');
    assert.match(cmd, /nvault\.server\.command/);
  });
});

describe('findExecutable', () => {
  const files = new Set(['/usr/bin/vault-lsp', '/vault/tools/run-lsp', 'C:\\Py\\Scripts\\vault-lsp.EXE']);
  const posix = { platform: 'linux' as const, pathEnv: '/bin::/usr/bin', cwd: '/vault', isExecutableFile: (f: string) => files.has(f) };

  it('searches PATH for a bare name', () => {
    assert.equal(findExecutable('vault-lsp', posix), '/usr/bin/vault-lsp');
    assert.equal(findExecutable('vault-lsp', { ...posix, pathEnv: '/bin' }), undefined);
  });

  it('checks a path as given, relative ones from the server cwd', () => {
    assert.equal(findExecutable('/usr/bin/vault-lsp', posix), '/usr/bin/vault-lsp');
    assert.equal(findExecutable('tools/run-lsp', posix), '/vault/tools/run-lsp');
    assert.equal(findExecutable('/nope/vault-lsp', posix), undefined);
  });

  it('uses PATHEXT and ; on Windows', () => {
    const win = { platform: 'win32' as const, pathEnv: 'C:\\Windows;C:\\Py\\Scripts', pathExt: '.COM;.EXE', cwd: 'C:\\vault', isExecutableFile: (f: string) => files.has(f) };
    assert.equal(findExecutable('vault-lsp', win), 'C:\\Py\\Scripts\\vault-lsp.EXE');
    assert.equal(findExecutable('C:\\Py\\Scripts\\vault-lsp', win), 'C:\\Py\\Scripts\\vault-lsp.EXE');
  });
});

describe('falling back when the interpreter lacks nvault', () => {
  it('lists vault-lsp on PATH after the Python extension interpreter and after pythonPath', async () => {
    const fromExt = await serverCommandCandidates(inputs({ interpreter: '/ext/py' }));
    assert.deepEqual(
      fromExt.map((c) => [c.command, c.source]),
      [
        ['/ext/py', 'python-extension'],
        ['vault-lsp', 'path'],
      ],
    );
    const fromSetting = await serverCommandCandidates(inputs({ pythonPath: '/opt/py' }));
    assert.deepEqual(
      fromSetting.map((c) => c.source),
      ['setting:server.pythonPath', 'path'],
    );
    const explicit = await serverCommandCandidates(inputs({ serverCommand: ['my-lsp'] }));
    assert.deepEqual(
      explicit.map((c) => c.source),
      ['setting:server.command'],
    );
  });

  it('starts the next way and says what failed and how to fix it', async () => {
    const candidates = await serverCommandCandidates(inputs({ interpreter: '/ext/py' }));
    const checked: string[] = [];
    const choice = await chooseServerCommand(candidates, async (c) => {
      checked.push(c.command);
      return isPythonModuleCommand(c) ? "ModuleNotFoundError: No module named 'vault_lsp'" : undefined;
    });
    assert.deepEqual(checked, ['/ext/py', 'vault-lsp']);
    assert.equal(choice.chosen?.source, 'path');
    const notice = fallbackNotice(choice) ?? '';
    assert.match(notice, /\/ext\/py -m vault_lsp \(the Python extension's interpreter\): ModuleNotFoundError/);
    assert.match(notice, /Started the server with 'vault-lsp' \(PATH\) instead/);
    assert.match(notice, /'\/ext\/py -m pip install nvault'/);
  });

  it('says nothing extra when the first way works', async () => {
    const candidates = await serverCommandCandidates(inputs({ interpreter: '/ext/py' }));
    const choice = await chooseServerCommand(candidates, async () => undefined);
    assert.equal(choice.chosen?.source, 'python-extension');
    assert.equal(fallbackNotice(choice), undefined);
  });

  it('names every failed attempt when none works, a throwing check included', async () => {
    const candidates = await serverCommandCandidates(inputs({ interpreter: '/ext/py' }));
    const choice = await chooseServerCommand(candidates, async (c) => {
      if (c.source === 'path') throw new Error("'vault-lsp' was not found");
      return "No module named 'vault_lsp'";
    });
    assert.equal(choice.chosen, undefined);
    const message = noServerMessage(choice);
    assert.match(message, /\/ext\/py -m vault_lsp .*No module named 'vault_lsp'; vault-lsp \(PATH\): 'vault-lsp' was not found/);
    assert.match(message, /pip install nvault/);
  });
});
