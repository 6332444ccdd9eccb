/**
 * The esbuild bundle loads under node with `vscode` as its only external and
 * exports the activation entry points. Skipped before `npm run build`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const bundle = path.resolve(__dirname, '..', '..', 'out', 'extension.js');

/** Any property is a callable stub, so top-level `vscode.X.Y` lookups succeed without a host. */
function stub(): unknown {
  const fn = function () {
    return stub();
  };
  return new Proxy(fn, { get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : stub()) });
}

describe('bundle', () => {
  it('loads with only vscode external and exports activate/deactivate', { skip: !fs.existsSync(bundle) && 'run npm run build first' }, () => {
    const requested: string[] = [];
    const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const original = loader._load;
    loader._load = function (request: string, ...rest: unknown[]) {
      if (request === 'vscode') return stub();
      if (!request.startsWith('node:') && !Module.isBuiltin(request)) requested.push(request);
      return original.call(this, request, ...rest);
    };
    try {
      const ext = require(bundle) as { activate?: unknown; deactivate?: unknown };
      assert.equal(typeof ext.activate, 'function');
      assert.equal(typeof ext.deactivate, 'function');
    } finally {
      loader._load = original;
    }
    assert.deepEqual(
      requested.filter((r) => r !== bundle),
      [],
      'the bundle must not require anything from node_modules at run time',
    );
  });
});
