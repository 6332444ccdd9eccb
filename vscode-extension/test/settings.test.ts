import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_OLLAMA_HOST, initializationOptions, readSettings, resolveVaultRoot } from '../src/settings';

const from = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readSettings', () => {
  it('gives defaults when nothing is set', () => {
    const s = readSettings(from({}));
    assert.deepEqual(s, {
      vaultRoot: '',
      serverCommand: [],
      pythonPath: '',
      ollamaHost: DEFAULT_OLLAMA_HOST,
      ollamaModel: '',
      features: { hover: true, completion: true, seeAlso: true, diagnostics: true },
    });
  });

  it('reads every setting', () => {
    const s = readSettings(
      from({
        vaultRoot: ' ~/notes ',
        'server.command': ['uv', 'run', 'vault-lsp'],
        'server.pythonPath': '/usr/bin/python3',
        'ollama.host': 'http://127.0.0.1:9999',
        'ollama.model': 'qwen2.5:3b',
        'features.hover': false,
        'features.completion': true,
        'features.seeAlso': false,
        'features.diagnostics': false,
      }),
    );
    assert.equal(s.vaultRoot, '~/notes');
    assert.deepEqual(s.serverCommand, ['uv', 'run', 'vault-lsp']);
    assert.equal(s.pythonPath, '/usr/bin/python3');
    assert.equal(s.ollamaHost, 'http://127.0.0.1:9999');
    assert.equal(s.ollamaModel, 'qwen2.5:3b');
    assert.deepEqual(s.features, { hover: false, completion: true, seeAlso: false, diagnostics: false });
  });

  it('tolerates wrong types instead of throwing', () => {
    const s = readSettings(
      from({
        'server.command': ['', 42, 'vault-lsp', '  '],
        'ollama.host': '',
        'features.hover': 'no',
        vaultRoot: 7,
      }),
    );
    assert.deepEqual(s.serverCommand, ['vault-lsp']);
    assert.equal(s.ollamaHost, DEFAULT_OLLAMA_HOST);
    assert.equal(s.features.hover, true);
    assert.equal(s.vaultRoot, '');
  });

  it('accepts server.command written as a single string', () => {
    assert.deepEqual(readSettings(from({ 'server.command': ' /opt/vault-lsp ' })).serverCommand, ['/opt/vault-lsp']);
  });
});

describe('resolveVaultRoot', () => {
  const ws = path.resolve('/work/ws');
  const home = path.resolve('/home/me');

  it('defaults to the first workspace folder', () => {
    assert.equal(resolveVaultRoot('', [ws, path.resolve('/other')], home), ws);
  });

  it('is undefined with no setting and no folder', () => {
    assert.equal(resolveVaultRoot('', [], home), undefined);
    assert.equal(resolveVaultRoot('notes', [], home), undefined);
  });

  it('keeps an absolute path, normalised', () => {
    const abs = path.resolve('/data/vault');
    assert.equal(resolveVaultRoot(abs + path.sep + '.', [ws], home), abs);
  });

  it('takes a relative path from the first workspace folder', () => {
    assert.equal(resolveVaultRoot('notes/zettel', [ws], home), path.join(ws, 'notes', 'zettel'));
  });

  it('expands ~ and ${workspaceFolder}', () => {
    assert.equal(resolveVaultRoot('~', [], home), home);
    assert.equal(resolveVaultRoot('~/vault', [], home), path.join(home, 'vault'));
    assert.equal(resolveVaultRoot('${workspaceFolder}/notes', [ws], home), path.join(ws, 'notes'));
    assert.equal(resolveVaultRoot('${workspaceFolder}/notes', [], home), undefined);
  });
});

describe('initializationOptions', () => {
  it('carries root, ollama and feature switches', () => {
    const s = readSettings(from({ 'ollama.model': 'llama3.2', 'features.seeAlso': false }));
    assert.deepEqual(initializationOptions(s, '/v'), {
      vaultRoot: '/v',
      ollamaHost: DEFAULT_OLLAMA_HOST,
      ollamaModel: 'llama3.2',
      features: { hover: true, completion: true, seeAlso: false, diagnostics: true },
    });
  });
});
