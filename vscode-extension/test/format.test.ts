import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  errorText,
  escapeIcons,
  formatCount,
  formatLastSync,
  formatStatusReport,
  formatStatusSummary,
  hitToItem,
  nextMode,
  oneLine,
  opensInTextEditor,
  percent,
  relatedToItem,
  searchTitle,
  statusBarError,
  statusBarView,
  statusToProgress,
  wikiLink,
} from '../src/format';
import type { Hit, StatusResult } from '../src/protocol';

const hit: Hit = {
  path: 'zettel/rrf.md',
  uri: 'file:///vault/zettel/rrf.md',
  title: 'Reciprocal rank fusion',
  heading_path: ['Reciprocal rank fusion', 'Why k=60'],
  start_line: 14,
  end_line: 22,
  snippet: 'RRF adds\n  1/(k + rank)   for each list;\tk=60 damps the top ranks.',
  score: 0.0328,
  match_spans: [[0, 3]],
  also_at: [],
};

const status: StatusResult = {
  root: '/home/me/vault',
  notes: 2719,
  chunks: 10234,
  model: 'all-MiniLM-L6-v2-int8 (384)',
  indexing: { active: false, done: 0, total: 0 },
  skipped: [
    { path: 'scans/big.pdf', reason: 'larger than 50 MB' },
    { path: 'old/broken.docx', reason: 'not a valid DOCX (zip) file' },
  ],
  last_sync: '2025-03-01T10:00:00Z',
};

describe('hitToItem', () => {
  it('shows title, path:line and heading breadcrumb with a one-line snippet', () => {
    const item = hitToItem(hit);
    assert.equal(item.label, 'Reciprocal rank fusion');
    assert.equal(item.description, 'zettel/rrf.md:14');
    assert.equal(item.detail, 'Reciprocal rank fusion › Why k=60 — RRF adds 1/(k + rank) for each list; k=60 damps the top ranks.');
    assert.equal(item.alwaysShow, true, 'server-ranked results must not be filtered again by VS Code');
    assert.equal(item.data, hit);
  });

  it('falls back to the path when there is no title and skips empty headings', () => {
    const item = hitToItem({ ...hit, title: '', heading_path: [''], snippet: 'x' });
    assert.equal(item.label, 'zettel/rrf.md');
    assert.equal(item.detail, 'x');
  });

  it('does not let a title render as a codicon', () => {
    assert.equal(hitToItem({ ...hit, title: 'Budget $(alert)' }).label, 'Budget $\u200b(alert)');
    assert.equal(escapeIcons('no icons'), 'no icons');
  });
});

describe('oneLine', () => {
  it('collapses whitespace and cuts long text with an ellipsis', () => {
    assert.equal(oneLine(' a \n\n b\t c '), 'a b c');
    const cut = oneLine('word '.repeat(100), 20);
    assert.ok(cut.length <= 20, cut);
    assert.ok(cut.endsWith('…'));
  });
});

describe('relatedToItem and wikiLink', () => {
  it('shows path, score and reasons', () => {
    const item = relatedToItem({
      path: 'zettel/bm25.md',
      uri: 'file:///vault/zettel/bm25.md',
      title: 'BM25',
      score: 0.8123,
      reasons: ['mentions "BM25" without linking', 'similar text'],
      link_text: 'bm25',
    });
    assert.equal(item.label, 'BM25');
    assert.equal(item.description, 'zettel/bm25.md · 0.81');
    assert.equal(item.detail, 'mentions "BM25" without linking; similar text');
  });

  it('has no detail line without reasons', () => {
    const item = relatedToItem({ path: 'a.md', uri: '', title: 'A', score: Number.NaN, reasons: [], link_text: 'A' });
    assert.equal(item.detail, undefined);
    assert.equal(item.description, 'a.md · –');
  });

  it('wraps link text in [[...]] once', () => {
    assert.equal(wikiLink('Reciprocal rank fusion'), '[[Reciprocal rank fusion]]');
    assert.equal(wikiLink('folder/note|label'), '[[folder/note|label]]');
    assert.equal(wikiLink('[[already]]'), '[[already]]');
  });
});

describe('status bar', () => {
  it('shows progress while indexing', () => {
    const v = statusBarView({ active: true, done: 1234, total: 10000, notes: 1200 });
    assert.equal(v.text, '$(sync~spin) nvault 1,234/10,000');
    assert.match(v.tooltip, /1,234 of 10,000 files done \(12%\)/);
  });

  it('says scanning while the total is not known yet', () => {
    assert.equal(statusBarView({ active: true, done: 0, total: 0, notes: 0 }).text, '$(sync~spin) nvault scanning…');
    const embedding = statusBarView({
      active: true, done: 2719, total: 2719, notes: 2719, phase: 'embedding',
      chunksTotal: 8312, chunksEmbedded: 2078, etaSeconds: 600,
    });
    assert.equal(embedding.text, '$(sync~spin) nvault 25% embedded');
    assert.match(embedding.tooltip, /2,078 of 8,312 chunks, about 10 min left/);
  });

  it('shows the note count when idle', () => {
    assert.equal(statusBarView({ active: false, done: 0, total: 0, notes: 2719 }).text, '$(check) nvault 2,719 notes');
    assert.equal(statusBarView({ active: false, done: 0, total: 0, notes: 1 }).text, '$(check) nvault 1 note');
  });

  it('shows an error state', () => {
    const v = statusBarError('language server stopped');
    assert.equal(v.text, '$(error) nvault');
    assert.match(v.tooltip, /language server stopped/);
  });

  it('maps a status result onto the same view', () => {
    assert.deepEqual(statusToProgress(status), {
      active: false, done: 0, total: 0, notes: 2719,
      phase: undefined, chunksTotal: undefined, chunksEmbedded: undefined, etaSeconds: undefined,
    });
    const embedding = statusToProgress({
      ...status,
      indexing: { active: false, done: 10, total: 10, phase: 'embedding', chunks_total: 40, chunks_embedded: 10, eta_s: 30 },
    });
    assert.equal(statusBarView(embedding).text, '$(sync~spin) nvault 25% embedded');
  });

  it('computes percentages safely', () => {
    assert.equal(percent(0, 0), '0%');
    assert.equal(percent(5, 3), '100%');
    assert.equal(percent(999, 1000), '99%');
  });
});

describe('status report', () => {
  it('is aligned, grouped and lists skipped files with reasons', () => {
    const text = formatStatusReport(status, new Date('2025-03-01T10:05:00Z'));
    assert.equal(
      text,
      [
        'nvault status',
        '  vault:      /home/me/vault',
        '  notes:      2,719',
        '  chunks:     10,234',
        '  model:      all-MiniLM-L6-v2-int8 (384)',
        '  indexing:   idle',
        '  last sync:  2025-03-01T10:00:00Z (5 minutes ago)',
        '  skipped:    2 files',
        '    - scans/big.pdf: larger than 50 MB',
        '    - old/broken.docx: not a valid DOCX (zip) file',
      ].join('\n'),
    );
  });

  it('shows running indexing, a missing sync and caps the skipped list', () => {
    const skipped = Array.from({ length: 53 }, (_, i) => ({ path: `f${i}.bin`, reason: 'binary' }));
    const text = formatStatusReport({
      ...status,
      indexing: { active: true, done: 50, total: 200 },
      last_sync: null,
      skipped,
      model: '',
    });
    assert.match(text, /indexing: {3}running, 50\/200 \(25%\)/);
    assert.match(text, /last sync: {2}never/);
    assert.match(text, /model: {6}\(unknown\)/);
    assert.match(text, /skipped: {4}53 files/);
    assert.match(text, /… and 3 more$/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('    - ')).length, 50);
  });

  it('has a one-line summary', () => {
    assert.equal(formatStatusSummary(status), 'nvault: 2,719 notes, 10,234 chunks · 2 files skipped');
    assert.equal(
      formatStatusSummary({ ...status, skipped: [], indexing: { active: true, done: 3, total: 9 } }),
      'nvault: 2,719 notes, 10,234 chunks · indexing 3/9',
    );
  });

  it('formats last sync age and keeps unparseable values', () => {
    const now = new Date('2025-03-02T12:00:00Z');
    assert.equal(formatLastSync('2025-03-02T11:59:59Z', now), '2025-03-02T11:59:59Z (1 second ago)');
    assert.equal(formatLastSync('2025-03-02T09:00:00Z', now), '2025-03-02T09:00:00Z (3 hours ago)');
    assert.equal(formatLastSync('2025-02-20T12:00:00Z', now), '2025-02-20T12:00:00Z (10 days ago)');
    assert.equal(formatLastSync('yesterday', now), 'yesterday');
    assert.equal(formatLastSync('2025-03-02T11:00:00Z'), '2025-03-02T11:00:00Z');
  });
});

describe('misc', () => {
  it('turns anything thrown into a message', () => {
    assert.equal(errorText(new Error('boom')), 'boom');
    assert.equal(errorText('plain'), 'plain');
  });

  it('groups thousands independent of locale', () => {
    assert.equal(formatCount(1234567), '1,234,567');
    assert.equal(formatCount(Number.NaN), '0');
  });

  it('cycles search modes', () => {
    assert.equal(nextMode('hybrid'), 'keyword');
    assert.equal(nextMode('keyword'), 'semantic');
    assert.equal(nextMode('semantic'), 'hybrid');
  });

  it('titles the search with hit count and catching-up warning', () => {
    assert.equal(searchTitle('hybrid', undefined, false), 'nvault: Search notes · hybrid');
    assert.equal(
      searchTitle('keyword', 1, true),
      'nvault: Search notes · keyword · 1 hit · index still catching up, results may be incomplete',
    );
  });

  it('opens Markdown and text in the editor, attachments with the default opener', () => {
    for (const p of ['a.md', 'dir.v2/README', 'x/y.MARKDOWN', 'data.csv', 'notes.txt']) assert.ok(opensInTextEditor(p), p);
    for (const p of ['paper.pdf', 'sheet.xlsx', 'doc.DOCX', 'img.png']) assert.ok(!opensInTextEditor(p), p);
  });
});
