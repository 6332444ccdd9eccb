/**
 * Keeps package.json, the settings reader and the extension's command
 * registrations in step, and the pure modules free of `vscode`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_OLLAMA_HOST, readSettings } from '../src/settings';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const props: Record<string, { type: string; default: unknown }> = pkg.contributes.configuration.properties;

describe('package.json', () => {
  it('declares every setting the extension reads, with matching defaults', () => {
    const asked: string[] = [];
    const defaults = readSettings((key) => {
      asked.push(key);
      return undefined;
    });
    for (const key of asked) assert.ok(props[`nvault.${key}`], `nvault.${key} missing from contributes.configuration`);
    const declared = (key: string) => props[`nvault.${key}`].default;
    assert.equal(declared('ollama.host'), DEFAULT_OLLAMA_HOST);
    assert.deepEqual(declared('server.command'), defaults.serverCommand);
    assert.equal(declared('server.pythonPath'), defaults.pythonPath);
    assert.equal(declared('vaultRoot'), defaults.vaultRoot);
    for (const f of ['hover', 'completion', 'seeAlso', 'diagnostics'] as const) {
      assert.equal(props[`nvault.features.${f}`].type, 'boolean');
      assert.equal(declared(`features.${f}`), defaults.features[f]);
    }
    assert.deepEqual((props['nvault.trace.server'] as unknown as { enum: string[] }).enum, ['off', 'messages', 'verbose']);
  });

  it('contributes exactly the commands the extension registers', () => {
    const source = fs.readFileSync(path.join(root, 'src', 'extension.ts'), 'utf8');
    const registered = [...source.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]).sort();
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(registered, contributed);
    for (const id of ['nvault.search', 'nvault.related', 'nvault.reindex', 'nvault.status']) assert.ok(contributed.includes(id), id);
  });

  it('bundles to the declared entry point', () => {
    assert.equal(pkg.main, './out/extension.js');
    assert.match(pkg.scripts.build, /--outfile=out\/extension\.js/);
  });
});

describe('module boundaries', () => {
  it('keeps the unit-tested modules free of the vscode API', () => {
    const pure = ['protocol.ts', 'settings.ts', 'serverCommand.ts', 'format.ts', 'lines.ts', 'debouncedSearch.ts', 'restartPolicy.ts'];
    for (const file of pure) {
      const text = fs.readFileSync(path.join(root, 'src', file), 'utf8');
      assert.doesNotMatch(text, /from ['"]vscode(-languageclient[^'"]*)?['"]|require\(['"]vscode/, file);
    }
  });
});
