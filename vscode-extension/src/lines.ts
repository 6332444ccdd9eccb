/**
 * Line conversion between the server (1-based, inclusive `start_line`/`end_line`)
 * and VS Code (0-based Positions). Clamped to the document so a hit from a
 * slightly stale index still opens somewhere sensible instead of throwing.
 */

export interface ZeroBasedLines {
  /** 0-based first line. */
  start: number;
  /** 0-based last line (inclusive). */
  end: number;
}

export function toZeroBased(startLine: number, endLine: number, lineCount?: number): ZeroBasedLines {
  const s = Number.isFinite(startLine) ? Math.floor(startLine) : 1;
  const e = Number.isFinite(endLine) ? Math.floor(endLine) : s;
  let start = Math.max(0, s - 1);
  let end = Math.max(start, e - 1);
  if (lineCount !== undefined && lineCount > 0) {
    const last = lineCount - 1;
    start = Math.min(start, last);
    end = Math.min(end, last);
  }
  return { start, end };
}

