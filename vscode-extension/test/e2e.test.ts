/**
 * End to end without VS Code: the real bundle (out/extension.js) with the real
 * vscode-languageclient, against a fake nvault server process over stdio. Only the
 * `vscode` module is faked (test/fixtures/fakeVscode.ts). Skipped before `npm run build`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Recorder, Uri, Selection, createFakeVscode, fakeDocument, fakeEditor, type FakeQuickPick } from './fixtures/fakeVscode';

const bundle = path.resolve(__dirname, '..', '..', 'out', 'extension.js');
const fakeServer = path.join(__dirname, 'fixtures', 'fakeServer.js');
const skip = !fs.existsSync(bundle) && 'run npm run build first';

let rec = new Recorder();
type Ext = { activate(ctx: unknown): void; deactivate(): Promise<void> };

function loadExtension(): Ext {
  const fake = createFakeVscode(() => rec);
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? fake : original.call(this, request, ...rest);
  };
  return require(bundle) as Ext;
}

function context(): { subscriptions: { dispose(): unknown }[]; globalState: unknown } {
  const memento = new Map<string, unknown>();
  return {
    subscriptions: [],
    globalState: {
      get: (k: string, d?: unknown) => (memento.has(k) ? memento.get(k) : d),
      update: async (k: string, v: unknown) => void memento.set(k, v),
      keys: () => [...memento.keys()],
    },
  };
}

/** Polls until `fn` returns a truthy value; the deadline only guards against a hang. */
async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lastPick = (): FakeQuickPick => rec.quickPicks[rec.quickPicks.length - 1];

describe('extension against a fake nvault server', { skip }, () => {
  let ext: Ext;
  let ctx: ReturnType<typeof context>;
  let vault: string;

  before(() => {
    vault = fs.mkdtempSync(path.join(os.tmpdir(), 'nvault-ext-'));
    rec = new Recorder();
    rec.workspaceFolders = [{ uri: Uri.file(vault), name: 'vault', index: 0 }];
    rec.config = {
      'nvault.server.command': [process.execPath, fakeServer],
      'nvault.ollama.model': 'test-model',
      'nvault.features.seeAlso': false,
    };
    ext = loadExtension();
    ctx = context();
    ext.activate(ctx);
  });

  after(async () => {
    await ext.deactivate();
    ctx.subscriptions.forEach((d) => d.dispose());
    fs.rmSync(vault, { recursive: true, force: true });
  });

  it('shows indexing progress, then the note count, in the status bar', async () => {
    await until('idle status bar', () => rec.barTexts.includes('$(check) nvault 3 notes'));
    assert.ok(rec.barTexts.includes('$(sync~spin) nvault 1/3'), rec.barTexts.join(' | '));
    assert.equal(rec.barTexts[rec.barTexts.length - 1], '$(check) nvault 3 notes');
  });

  it('starts the server with --root <vault> and the initializationOptions from settings', async () => {
    await rec.commands.get('nvault.status')?.();
    const report = (rec.channels.get('nvault status') ?? []).join('\n');
    assert.match(report, new RegExp(`vault: +${vault.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(report, /model: +test-model features=\{"hover":true,"completion":true,"seeAlso":false,"diagnostics":true\}/);
    assert.match(report, /- bad\.pdf: encrypted PDF/);
    const log = (rec.channels.get('nvault') ?? []).join('\n');
    assert.match(log, /starting: .*fakeServer\.js --root .*\(from setting:server\.command\)/);
  });

  it('reindex reports that it started', async () => {
    await rec.commands.get('nvault.reindex')?.();
    assert.deepEqual(rec.messages.at(-1), { kind: 'info', text: 'nvault: reindexing started.' });
  });

  it('search sends nvault/search as the user types and opens the hit at its lines', async () => {
    await rec.commands.get('nvault.search')?.();
    const qp = lastPick();
    qp.value = 'rrf';
    qp.onDidChangeValueEmitter.fire('rrf');
    await until('search results', () => qp.items.length > 0 && qp.items[0].label.startsWith('Result'));
    assert.equal(qp.items[0].label, 'Result for rrf (hybrid, limit 50)');
    assert.equal(qp.items[0].description, 'notes/a.md:2');
    assert.equal(qp.items[0].detail, 'A › Section — line two line three');
    assert.match(qp.title ?? '', /1 hit · index still catching up/);

    const doc = fakeDocument('/vault/notes/a.md', ['# A', 'line two', 'line three', 'end']);
    rec.documents.set('file:///vault/notes/a.md', doc);
    qp.selectedItems = [qp.items[0]];
    qp.onDidAcceptEmitter.fire();
    const editor = await until('opened editor', () => rec.shownEditors.find((e) => e.document === doc));
    await until('selection', () => editor.selection.end.line === 2);
    assert.deepEqual(
      [editor.selection.start.line, editor.selection.start.character, editor.selection.end.line, editor.selection.end.character],
      [1, 0, 2, 10],
    );
  });

  it('related notes: lists them for the active note and inserts [[link]] at the cursor', async () => {
    const doc = fakeDocument(path.join(vault, 'alpha.md'), ['# Alpha', 'some text']);
    const editor = fakeEditor(doc);
    editor.selection = new Selection(1, 4, 1, 4);
    editor.selections = [editor.selection];
    rec.activeTextEditor = editor;

    const done = rec.commands.get('nvault.related')?.();
    const qp = lastPick();
    await done;
    await until('related items', () => qp.items.length > 0);
    assert.equal(qp.items[0].label, 'Beta');
    assert.equal(qp.items[0].description, 'notes/beta.md · 0.90');
    assert.equal(qp.items[0].detail, `related to ${doc.uri.toString()}`);

    qp.onDidTriggerItemButtonEmitter.fire({ item: qp.items[0], button: {} });
    await until('link inserted', () => editor.edits.length > 0);
    assert.equal(editor.edits[0].text, '[[beta|Beta]]');
    assert.deepEqual([editor.edits[0].range.start.line, editor.edits[0].range.start.character], [1, 4]);
  });
});

describe('extension when the server cannot start', { skip }, () => {
  it('says what to do and shows the error in the status bar and report', async () => {
    rec = new Recorder();
    rec.workspaceFolders = [{ uri: Uri.file(os.tmpdir()), name: 'tmp', index: 0 }];
    rec.config = { 'nvault.server.command': [path.join(os.tmpdir(), 'no-such-dir', 'vault-lsp')] };
    const ext = loadExtension();
    const ctx = context();
    ext.activate(ctx);
    const error = await until('error message', () => rec.messages.find((m) => m.kind === 'error'));
    assert.match(error.text, /could not start the language server .*was not found/);
    assert.equal(rec.messages.filter((m) => m.kind === 'error').length, 1, 'one error, not one per layer');
    assert.match(error.text, /Check "nvault\.server\.command"/);
    assert.equal(rec.barTexts[rec.barTexts.length - 1], '$(error) nvault');

    await rec.commands.get('nvault.status')?.();
    const report = (rec.channels.get('nvault status') ?? []).join('\n');
    assert.match(report, /server: +not available/);
    assert.match(report, /command: .*no-such-dir/);
    await ext.deactivate();
    ctx.subscriptions.forEach((d) => d.dispose());
  });
});
