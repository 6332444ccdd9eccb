/**
 * Text the user sees: quick-pick items for hits and related notes, the status-bar
 * text, and the status report. No `vscode` import, so it is unit-tested under node.
 * Numbers use en-US grouping ("1,234") so the UI does not depend on the host locale.
 */
import type { Hit, ProgressParams, RelatedItem, SearchMode, StatusResult } from './protocol';

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  /** Results are filtered by the server, so VS Code must not filter them again. */
  alwaysShow?: boolean;
  data: T;
}

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return numberFormat.format(Number.isFinite(n) ? n : 0);
}

export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Stops a note title like "Cost $(x)" from being rendered as a codicon. */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '$\u200b(');
}

/** One line: whitespace collapsed, cut at `max` characters with an ellipsis. */
export function oneLine(text: string, max = 160): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  return flat.slice(0, Math.max(0, max - 1)).trimEnd() + '…';
}

export function hitToItem(hit: Hit): PickItem<Hit> {
  const crumbs = (hit.heading_path ?? []).filter((h) => h.trim() !== '');
  const snippet = oneLine(hit.snippet);
  const detail = crumbs.length > 0 ? `${crumbs.join(' › ')} — ${snippet}` : snippet;
  return {
    label: escapeIcons(hit.title || hit.path),
    description: `${hit.path}:${hit.start_line}`,
    detail: escapeIcons(oneLine(detail, 200)),
    alwaysShow: true,
    data: hit,
  };
}

export function relatedToItem(item: RelatedItem): PickItem<RelatedItem> {
  const reasons = (item.reasons ?? []).filter((r) => r.trim() !== '');
  return {
    label: escapeIcons(item.title || item.path),
    description: `${item.path} · ${formatScore(item.score)}`,
    detail: reasons.length > 0 ? escapeIcons(oneLine(reasons.join('; '), 200)) : undefined,
    data: item,
  };
}

export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : '–';
}

/** `[[Title]]`; the server's link_text already carries any folder, heading or alias part. */
export function wikiLink(linkText: string): string {
  return `[[${linkText.replace(/^\[\[|\]\]$/g, '')}]]`;
}

export function searchPlaceholder(mode: SearchMode): string {
  return `Search notes (${mode}) — type to search`;
}

export function searchTitle(mode: SearchMode, hits: number | undefined, catchingUp: boolean): string {
  let title = `nvault: Search notes · ${mode}`;
  if (hits !== undefined) title += ` · ${plural(hits, 'hit')}`;
  if (catchingUp) title += ' · index still catching up, results may be incomplete';
  return title;
}

const MODES: readonly SearchMode[] = ['hybrid', 'keyword', 'semantic'];

export function nextMode(mode: SearchMode): SearchMode {
  return MODES[(MODES.indexOf(mode) + 1) % MODES.length];
}

export interface StatusBarView {
  text: string;
  tooltip: string;
}

export function statusBarView(progress: ProgressParams): StatusBarView {
  if (progress.active && !(progress.total > 0)) {
    return { text: '$(sync~spin) nvault scanning…', tooltip: 'nvault: looking for changed files. Click for status.' };
  }
  if (progress.phase === 'embedding' && progress.chunksTotal) {
    const embedded = progress.chunksEmbedded ?? 0;
    return {
      text: `$(sync~spin) nvault ${percent(embedded, progress.chunksTotal)} embedded`,
      tooltip: `nvault: ${plural(progress.notes, 'note')} readable by name and keyword; embedding ${formatCount(embedded)} of ${plural(progress.chunksTotal, 'chunk')}${eta(progress.etaSeconds)}. Click for status.`,
    };
  }
  if (progress.active) {
    return {
      text: `$(sync~spin) nvault ${formatCount(progress.done)}/${formatCount(progress.total)}`,
      tooltip: `nvault: indexing, ${formatCount(progress.done)} of ${plural(progress.total, 'file')} done (${percent(progress.done, progress.total)}). Click for status.`,
    };
  }
  return {
    text: `$(check) nvault ${plural(progress.notes, 'note')}`,
    tooltip: `nvault: index up to date, ${plural(progress.notes, 'note')}. Click for status.`,
  };
}

function eta(seconds: number | null | undefined): string {
  if (!seconds || seconds <= 0) {
    return '';
  }
  const minutes = Math.floor(seconds / 60);
  return minutes >= 1 ? `, about ${minutes} min left` : `, about ${Math.ceil(seconds)} s left`;
}

export function statusBarStarting(): StatusBarView {
  return { text: '$(sync~spin) nvault', tooltip: 'nvault: starting the language server…' };
}

export function statusBarError(message: string): StatusBarView {
  return { text: '$(error) nvault', tooltip: `nvault: ${message}. Click for status.` };
}

export function percent(done: number, total: number): string {
  if (!(total > 0)) return '0%';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/** `nvault/status` result as a status-bar progress value, so both share one view. */
export function statusToProgress(status: StatusResult): ProgressParams {
  return {
    active: status.indexing.active,
    done: status.indexing.done,
    total: status.indexing.total,
    notes: status.notes,
    phase: status.indexing.phase,
    chunksTotal: status.indexing.chunks_total,
    chunksEmbedded: status.indexing.chunks_embedded,
    etaSeconds: status.indexing.eta_s,
  };
}

const MAX_SKIPPED_LISTED = 50;

/** Multi-line, aligned report for the output channel. */
export function formatStatusReport(status: StatusResult, now?: Date): string {
  const indexing = status.indexing.active
    ? `running, ${formatCount(status.indexing.done)}/${formatCount(status.indexing.total)} (${percent(status.indexing.done, status.indexing.total)})`
    : 'idle';
  const rows: [string, string][] = [
    ['vault', status.root],
    ['notes', formatCount(status.notes)],
    ['chunks', formatCount(status.chunks)],
    ['model', status.model || '(unknown)'],
    ['indexing', indexing],
    ['last sync', formatLastSync(status.last_sync, now)],
    ['skipped', status.skipped.length === 0 ? 'none' : plural(status.skipped.length, 'file')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const lines = ['nvault status', ...rows.map(([k, v]) => `  ${(k + ':').padEnd(width + 1)} ${v}`)];
  for (const s of status.skipped.slice(0, MAX_SKIPPED_LISTED)) {
    lines.push(`    - ${s.path}: ${s.reason}`);
  }
  if (status.skipped.length > MAX_SKIPPED_LISTED) {
    lines.push(`    … and ${formatCount(status.skipped.length - MAX_SKIPPED_LISTED)} more`);
  }
  return lines.join('\n');
}

/** One line for an information message. */
export function formatStatusSummary(status: StatusResult): string {
  const parts = [`nvault: ${plural(status.notes, 'note')}, ${plural(status.chunks, 'chunk')}`];
  if (status.indexing.active) {
    parts.push(`indexing ${formatCount(status.indexing.done)}/${formatCount(status.indexing.total)}`);
  }
  if (status.skipped.length > 0) parts.push(`${plural(status.skipped.length, 'file')} skipped`);
  return parts.join(' · ');
}

export function formatLastSync(lastSync: string | null, now?: Date): string {
  if (!lastSync) return 'never';
  const t = Date.parse(lastSync);
  if (Number.isNaN(t) || !now) return lastSync;
  const seconds = Math.round((now.getTime() - t) / 1000);
  if (seconds < 0) return lastSync;
  const ago =
    seconds < 60
      ? plural(seconds, 'second')
      : seconds < 3600
        ? plural(Math.floor(seconds / 60), 'minute')
        : seconds < 86400
          ? plural(Math.floor(seconds / 3600), 'hour')
          : plural(Math.floor(seconds / 86400), 'day');
  return `${lastSync} (${ago} ago)`;
}

const TEXT_EXTENSIONS = new Set(['.md', '.markdown', '.mdown', '.txt', '.csv', '.tsv', '.html', '.htm', '.org', '.rst']);

/**
 * Whether a hit's file can be opened in a text editor at a line range. PDF, DOCX,
 * XLSX and other attachments are handed to VS Code's default opener instead.
 */
export function opensInTextEditor(filePath: string): boolean {
  const dot = filePath.lastIndexOf('.');
  const slash = Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\'));
  if (dot <= slash) return true; // no extension: assume text
  return TEXT_EXTENSIONS.has(filePath.slice(dot).toLowerCase());
}

/** The message of an Error (or anything thrown), for a user-facing line. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
