/**
 * The nvault custom LSP protocol, as the Python server (vault-lsp) implements it.
 * Kept free of `vscode` imports so tests and other clients can share it.
 * Lines in hits are 1-based and inclusive; see `lines.ts` for the conversion.
 */

export const Methods = {
  search: 'nvault/search',
  related: 'nvault/related',
  status: 'nvault/status',
  reindex: 'nvault/reindex',
  progress: 'nvault/progress',
} as const;

export type SearchMode = 'hybrid' | 'keyword' | 'semantic';

export interface SearchParams {
  query: string;
  mode?: SearchMode;
  limit?: number;
}

export interface Hit {
  path: string;
  uri: string;
  title: string;
  heading_path: string[];
  /** 1-based, inclusive. */
  start_line: number;
  /** 1-based, inclusive. */
  end_line: number;
  snippet: string;
  score: number;
  /** [start, end) offsets of matched words in `snippet`. */
  match_spans: [number, number][];
  /** Other places in this note with the same passage word for word (citations). */
  also_at: string[];
}

export interface SearchResult {
  hits: Hit[];
  catching_up: boolean;
}

export interface RelatedParams {
  uri: string;
  limit?: number;
}

export interface RelatedItem {
  path: string;
  uri: string;
  title: string;
  score: number;
  reasons: string[];
  /** Text to put inside [[...]]. */
  link_text: string;
}

export interface RelatedResult {
  items: RelatedItem[];
}

export interface IndexingState {
  active: boolean;
  done: number;
  total: number;
  /** the server's one progress model (vault_core IndexProgress); absent from older servers */
  phase?: string;
  chunks_total?: number;
  chunks_embedded?: number;
  eta_s?: number | null;
}

export interface StatusResult {
  root: string;
  notes: number;
  chunks: number;
  model: string;
  indexing: IndexingState;
  skipped: { path: string; reason: string }[];
  last_sync: string | null;
}

export interface ReindexResult {
  started: boolean;
}

export interface ProgressParams {
  active: boolean;
  done: number;
  total: number;
  notes: number;
  /** starting | repairing | scanning | indexing | embedding | watching | idle (servers >= 0.2) */
  phase?: string;
  chunksTotal?: number;
  chunksEmbedded?: number;
  etaSeconds?: number | null;
  message?: string;
}

/** Sent as LSP initializationOptions. */
export interface InitializationOptions {
  vaultRoot: string;
  ollamaHost: string;
  ollamaModel: string;
  features: Features;
}

export interface Features {
  hover: boolean;
  completion: boolean;
  seeAlso: boolean;
  diagnostics: boolean;
}
