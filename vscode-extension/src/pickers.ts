/**
 * The two quick picks: search-as-you-type over `nvault/search`, and related notes over
 * `nvault/related` with an "insert [[link]]" button. Text and timing decisions come
 * from the vscode-free modules (format, lines, debouncedSearch).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DebouncedSearch } from './debouncedSearch';
import {
  errorText,
  hitToItem,
  nextMode,
  opensInTextEditor,
  relatedToItem,
  searchPlaceholder,
  searchTitle,
  wikiLink,
  type PickItem,
} from './format';
import { toZeroBased } from './lines';
import { Methods, type Hit, type RelatedItem, type RelatedResult, type SearchMode, type SearchResult } from './protocol';

const SEARCH_LIMIT = 50;
const RELATED_LIMIT = 20;
const MODE_KEY = 'nvault.searchMode';

/** What the pickers need from the running client. */
export interface PickerHost {
  request<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R>;
  /** The hit's `uri`, or the vault-relative `path` when the server sent no uri. */
  resolveUri(uri: string, relPath: string): vscode.Uri;
  /** Remembers the search mode between searches. */
  state: vscode.Memento;
}

type Item<T> = PickItem<T | undefined> & vscode.QuickPickItem;

export async function searchNotes(host: PickerHost): Promise<void> {
  let mode = host.state.get<SearchMode>(MODE_KEY, 'hybrid');
  const qp = vscode.window.createQuickPick<Item<Hit>>();
  qp.matchOnDescription = false;
  qp.matchOnDetail = false;
  const modeButton = (): vscode.QuickInputButton => ({
    iconPath: new vscode.ThemeIcon('settings'),
    tooltip: `Mode: ${mode} (click for ${nextMode(mode)})`,
  });
  const applyMode = (): void => {
    qp.placeholder = searchPlaceholder(mode);
    qp.title = searchTitle(mode, undefined, false);
    qp.buttons = [modeButton()];
  };
  applyMode();

  const search = new DebouncedSearch<SearchResult>(
    (query) => {
      const cts = new vscode.CancellationTokenSource();
      const promise = host.request<SearchResult>(Methods.search, { query, mode, limit: SEARCH_LIMIT }, cts.token);
      promise.finally(() => cts.dispose()).catch(() => undefined);
      return { promise, cancel: () => cts.cancel() };
    },
    {
      busy: (busy) => (qp.busy = busy),
      clear: () => {
        qp.items = [];
        qp.title = searchTitle(mode, undefined, false);
      },
      result: (_query, result) => {
        const hits = result.hits ?? [];
        qp.title = searchTitle(mode, hits.length, result.catching_up);
        qp.items =
          hits.length > 0
            ? hits.map((h) => hitToItem(h) as Item<Hit>)
            : [{ label: 'No matching notes', alwaysShow: true, data: undefined }];
      },
      error: (_query, error) => {
        qp.items = [{ label: '$(error) Search failed', detail: errorText(error), alwaysShow: true, data: undefined }];
      },
    },
  );

  const disposables: vscode.Disposable[] = [
    qp.onDidChangeValue((value) => search.update(value)),
    qp.onDidTriggerButton(() => {
      mode = nextMode(mode);
      void host.state.update(MODE_KEY, mode);
      applyMode();
      search.refresh();
    }),
    qp.onDidAccept(() => {
      const hit = qp.selectedItems[0]?.data;
      if (!hit) return;
      qp.hide();
      void openHit(host, hit).catch((error) => showError('could not open the note', error));
    }),
    qp.onDidHide(() => {
      search.dispose();
      disposables.forEach((d) => d.dispose());
      qp.dispose();
    }),
  ];

  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
  qp.show();
  if (selected && !selected.includes('\n')) {
    qp.value = selected;
    search.update(selected);
  }
}

async function openHit(host: PickerHost, hit: Hit): Promise<void> {
  const uri = host.resolveUri(hit.uri, hit.path);
  if (!opensInTextEditor(hit.path)) {
    await vscode.commands.executeCommand('vscode.open', uri);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const lines = toZeroBased(hit.start_line, hit.end_line, doc.lineCount);
  const range = new vscode.Range(lines.start, 0, lines.end, doc.lineAt(lines.end).range.end.character);
  const editor = await vscode.window.showTextDocument(doc, { selection: new vscode.Range(range.start, range.start) });
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export async function relatedNotes(host: PickerHost): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('nvault: open a note to see notes related to it.');
    return;
  }
  const insertButton: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('link'),
    tooltip: 'Insert [[link]] at the cursor',
  };
  const qp = vscode.window.createQuickPick<Item<RelatedItem>>();
  qp.title = `nvault: Related to ${path.basename(editor.document.uri.fsPath)}`;
  qp.placeholder = 'Enter opens the note; the link button inserts [[…]] at the cursor';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  qp.show();

  const disposables: vscode.Disposable[] = [
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0]?.data;
      if (!item) return;
      qp.hide();
      void vscode.window
        .showTextDocument(host.resolveUri(item.uri, item.path))
        .then(undefined, (error) => showError('could not open the note', error));
    }),
    qp.onDidTriggerItemButton((e) => {
      const item = e.item.data;
      if (!item) return;
      qp.hide();
      void insertLink(editor, wikiLink(item.link_text || item.title)).catch((error) =>
        showError('could not insert the link', error),
      );
    }),
    qp.onDidHide(() => {
      disposables.forEach((d) => d.dispose());
      qp.dispose();
    }),
  ];

  try {
    const result = await host.request<RelatedResult>(Methods.related, {
      uri: editor.document.uri.toString(),
      limit: RELATED_LIMIT,
    });
    const items = result.items ?? [];
    qp.items =
      items.length > 0
        ? items.map((i) => ({ ...relatedToItem(i), buttons: [insertButton] }) as Item<RelatedItem>)
        : [{ label: 'No related notes found', data: undefined }];
  } catch (error) {
    qp.items = [{ label: '$(error) Could not get related notes', detail: errorText(error), data: undefined }];
  } finally {
    qp.busy = false;
  }
}

async function insertLink(editor: vscode.TextEditor, link: string): Promise<void> {
  if (editor.document.isClosed) throw new Error('the note was closed');
  const shown = await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  const ok = await shown.edit((edit) => {
    for (const selection of shown.selections) edit.replace(selection, link);
  });
  if (!ok) throw new Error('the editor rejected the edit');
}

export function showError(what: string, error: unknown): void {
  void vscode.window.showErrorMessage(`nvault: ${what}: ${errorText(error)}`);
}
