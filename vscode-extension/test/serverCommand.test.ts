import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describeCommand, findExecutable, resolveServerCommand, startFailureHint, type CommandInputs } from '../src/serverCommand';

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
