// The nvault extension inside a real VS Code (code-server), driven through the DOM by
// headless Chromium (playwright-core). run.sh installs the .vsix, copies a corpus vault,
// starts code-server on 127.0.0.1 and sets the environment read here. Every wait is bounded.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';

const URL_ = process.env.CODE_SERVER_URL; // http://127.0.0.1:PORT
const VAULT = process.env.E2E_VAULT; // a copy of silverbullet-docs, already indexed
const SHOTS = process.env.E2E_SCREENSHOTS; // where hover and completion pictures go
const BROWSER = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.E2E_ARTIFACTS; // a screenshot of each failed step goes here
const AUTH = 'docs/Authentication.md';
const MANAGER = 'docs/Space Manager.md';

let browser;
let page;

/** Polls `fn` until it returns a truthy value; fails with `what` after `ms`. */
async function until(what, fn, ms = 30_000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (last: ${String(last)})`);
    await page.waitForTimeout(every);
  }
}

const read = (rel) => fs.readFileSync(path.join(VAULT, rel), 'utf8');
const lineOf = (text, needle) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

async function quickInput(prefix, text) {
  await page.keyboard.press(prefix === '>' ? 'F1' : 'Control+P');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`${prefix === '>' ? '>' : ''}${text}`);
  return input;
}

/** Presses Enter once the quick input's focused row is the one wanted (the list re-renders
 * as results arrive, so a click could land on another row). */
async function pickFocused(what, matches) {
  const focused = page.locator('.quick-input-list .monaco-list-row.focused .label-name').first();
  await until(what, async () => matches(((await focused.textContent({ timeout: 1_000 })) ?? '').trim()), 15_000);
  await page.keyboard.press('Enter');
}

/** Runs a command by its title through the command palette. */
async function command(title) {
  await quickInput('>', title);
  await pickFocused(`the command ${title}`, (label) => label === title);
}

async function openFile(rel) {
  await quickInput('', rel);
  const name = path.basename(rel);
  await pickFocused(`${rel} in quick open`, (label) => label === name);
  await until(`${rel} to open`, async () => (await activeTab()).startsWith(name));
  await page.locator('.editor-group-container.active .monaco-editor').first().waitFor({ timeout: 10_000 });
}

async function activeTab() {
  return (await page.locator('.editor-group-container.active .tab.active').first().getAttribute('aria-label', { timeout: 5_000 })) || '';
}

async function goTo(line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.waitForTimeout(300);
}

async function endOfDocument() {
  await page.keyboard.press('Control+End');
}

async function dirty() {
  return (await page.locator('.editor-group-container.active .tab.active.dirty').count()) > 0;
}

/** Drops the active editor's unsaved changes. */
async function revert() {
  await page.keyboard.press('Escape');
  assert.ok(await dirty(), 'the editor has changes to revert');
  await command('File: Revert File');
  await until('the editor reverted', async () => !(await dirty()), 10_000);
}

/** The visible suggest rows, in list order: [{label, description, text}]. */
async function suggestions() {
  const widget = page.locator('.suggest-widget.visible');
  await widget.waitFor({ state: 'visible', timeout: 30_000 });
  // wait until the server's items (not the word-based ones) are in: rows carry a details text
  await until('ranked completion items', async () => (await widget.locator('.monaco-list-row').count()) >= 5);
  const rows = await widget.locator('.monaco-list-row').evaluateAll((els) =>
    els
      .map((el) => ({
        index: Number(el.getAttribute('data-index')),
        label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
        description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
        aria: el.getAttribute('aria-label') ?? '',
      }))
      .sort((a, b) => a.index - b.index),
  );
  return rows;
}

/** The detail line of the focused suggestion (VS Code shows it for the focused row only). */
async function focusedDetail() {
  const widget = page.locator('.suggest-widget.visible');
  return (await widget.locator('.monaco-list-row.focused .details-label').first().textContent({ timeout: 5_000 })) ?? '';
}

/** The hover at the cursor once nvault's part is in (VS Code's own link hint comes first). */
async function hoverText() {
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)').first();
  await hover.waitFor({ state: 'visible', timeout: 15_000 });
  return until('nvault\'s hover', async () => {
    const text = (await hover.textContent()) ?? '';
    return /backlink/.test(text) ? text : false;
  }, 15_000);
}

describe('nvault in code-server', { timeout: 900_000 }, () => {
  before(async () => {
    assert.ok(URL_ && VAULT && SHOTS, 'run through vscode-extension/e2e/run.sh');
    browser = await chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'], timeout: 60_000 });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(`${URL_}/?folder=${encodeURIComponent(VAULT)}`, { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
  });

  afterEach(async (t) => {
    if (ARTIFACTS && page && t.passed === false) {
      const name = t.name.replace(/[^\w]+/g, '-').slice(0, 60);
      await page.screenshot({ path: path.join(ARTIFACTS, `failed-${name}.png`) }).catch(() => undefined);
    }
  });

  after(async () => {
    await browser?.close();
  });

  it('shows the note count in the status bar', async () => {
    const text = await until(
      'the nvault status bar item',
      async () => {
        const t = await page.locator('.statusbar-item', { hasText: /nvault [\d,]+ notes/ }).first().textContent({ timeout: 1_000 });
        return t?.trim();
      },
      240_000,
      1_000,
    );
    const count = Number(/nvault ([\d,]+) notes/.exec(text)[1].replace(/,/g, ''));
    assert.ok(count >= 200, text); // silverbullet-docs has 225 pages
  });

  it('hovers a heading link and a wikilink: summary, backlinks, related', async () => {
    await openFile(AUTH);
    const text = read(AUTH);
    const line = lineOf(text, '[[Space Manager#Boot modes]]');
    const col = text.split('\n')[line - 1].indexOf('[[Space Manager#Boot modes]]') + 5;
    await goTo(line, col);
    // related notes are shown once computed (hover never waits for them): hover until they are
    const heading = await until('a hover with related notes', async () => {
      const t = await hoverText();
      await page.keyboard.press('Escape');
      return t.includes('Related:') ? t : false;
    }, 60_000, 1_000);
    assert.match(heading, /Space Manager/);
    assert.match(heading, /Boot modes \(line \d+\)/);
    assert.match(heading, /\d+ backlinks?/);
    const hintLine = lineOf(text, '[[HTTP API]]');
    await goTo(hintLine, text.split('\n')[hintLine - 1].indexOf('[[HTTP API]]') + 4);
    const wiki = await hoverText();
    assert.match(wiki, /HTTP API/);
    assert.match(wiki, /\d+ backlinks?/);
    assert.ok(wiki.replace(/\s+/g, ' ').length > 60, wiki); // a summary, not just the title
    await goTo(line, col);
    await hoverText();
    await page.screenshot({ path: path.join(SHOTS, 'vscode-hover.png') });
    await page.keyboard.press('Escape');
  });

  let relatedTitles = [];

  it('lists the note\'s related notes (nvault: Show related notes)', async () => {
    await command('nvault: Show related notes');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await until('related notes', async () => (await rows.count()) >= 3, 60_000);
    relatedTitles = (await rows.locator('.label-name').allTextContents()).map((t) => t.trim()).filter(Boolean);
    assert.ok(relatedTitles.length >= 3, relatedTitles.join(', '));
    await page.keyboard.press('Escape');
  });

  it('completes [[ in a paragraph by its meaning', async () => {
    const text = read(AUTH);
    const line = lineOf(text, 'This allows `pete` to log in');
    await goTo(line, text.split('\n')[line - 1].length + 1);
    await page.keyboard.type(' See [[');
    const rows = await suggestions();
    const top5 = rows.slice(0, 5).map((r) => r.label);
    assert.ok(!top5.includes('Authentication'), top5.join(', '));
    // the first item says why it ranks first
    assert.match(await focusedDetail(), /related to this paragraph/);
    await page.screenshot({ path: path.join(SHOTS, 'vscode-completion.png') });
    await revert();
  });

  it('completes `See also [[` at the end of a note with its related notes', async () => {
    await endOfDocument();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.type('See also [[');
    const rows = await suggestions();
    const top5 = rows.slice(0, 5).map((r) => r.label);
    assert.ok(top5.some((t) => relatedTitles.includes(t)), `top 5 ${top5.join(', ')}; related ${relatedTitles.join(', ')}`);
    assert.match(await focusedDetail(), /see also for this note|related to this section/);
    await page.screenshot({ path: path.join(SHOTS, 'vscode-see-also.png') });
    await revert();
  });

  it('goes to the definition of a link', async () => {
    const text = read(AUTH);
    const line = lineOf(text, '[[Space Manager#Boot modes]]');
    await goTo(line, text.split('\n')[line - 1].indexOf('[[Space Manager#Boot modes]]') + 5);
    await page.keyboard.press('F12');
    await until('Space Manager.md to open', async () => (await activeTab()).includes('Space Manager.md'));
  });

  it('renames a heading and the links to it in another file', async () => {
    const text = read(MANAGER);
    await goTo(lineOf(text, '# Boot modes'), 4);
    await page.keyboard.press('F2');
    const input = page.locator('.rename-box input').first();
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('Start modes');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(1_000);
    await command('File: Save All Files');
    await until('the link in Authentication.md rewritten', () => read(AUTH).includes('[[Space Manager#Start modes]]'), 30_000);
    assert.ok(read(MANAGER).includes('# Start modes'));
    assert.ok(!read(AUTH).includes('[[Space Manager#Boot modes]]'));
  });

  it('shows a broken link in the Problems panel', async () => {
    await openFile(AUTH);
    await endOfDocument();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Read [[No Such Note Anywhere]] too.');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    const panel = page.locator('.markers-panel');
    await panel.waitFor({ state: 'visible', timeout: 15_000 });
    await until('the broken-link diagnostic', async () => ((await panel.textContent()) ?? '').includes('No Such Note Anywhere'), 30_000);
    await page.keyboard.press('Control+J'); // hide the panel again
    await revert();
  });

  it('inserts see-also links with the code action', async () => {
    const text = read(AUTH);
    const first = lineOf(text, 'How you authenticate');
    await goTo(first, 2);
    await page.keyboard.press('Control+.');
    const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Add see-also links' }).first();
    await action.waitFor({ state: 'visible', timeout: 30_000 });
    await action.click();
    await page.keyboard.press('Control+S');
    const saved = await until('## See also saved', () => (read(AUTH).includes('## See also') ? read(AUTH) : false), 15_000);
    const block = saved.slice(saved.indexOf('## See also'));
    assert.match(block, /- \[\[[^\]]+\]\]/);
  });

  it('finds a word right after it is saved (nvault: Search notes)', async () => {
    const word = 'zorblequixote';
    await endOfDocument();
    await page.keyboard.press('Enter');
    await page.keyboard.type(`A ${word} appears here.`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    await until('saved', () => read(AUTH).includes(word), 10_000);
    await command('nvault: Search notes');
    const input = page.locator('.quick-input-widget input').first();
    await input.fill(word);
    const hit = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Authentication' }).first();
    await until('a search hit in Authentication', async () => hit.isVisible(), 30_000);
    await page.keyboard.press('Escape');
  });
});
