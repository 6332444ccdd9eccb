/**
 * VS Code wiring: starts vault-lsp over stdio, registers the nvault commands and the
 * status-bar item. All decisions and text live in the vscode-free modules next to it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { DebouncedSearch } from './debouncedSearch';
import {
  formatStatusReport,
  hitToItem,
  nextMode,
  opensInTextEditor,
  relatedToItem,
  searchPlaceholder,
  searchTitle,
  statusBarError,
  statusBarStarting,
  statusBarView,
  statusToProgress,
  wikiLink,
  type PickItem,
  type StatusBarView,
} from './format';
import { toZeroBased } from './lines';
import {
  Methods,
  type Hit,
  type ProgressParams,
  type RelatedItem,
  type RelatedResult,
  type ReindexResult,
  type SearchMode,
  type SearchResult,
  type StatusResult,
} from './protocol';
import { activePythonInterpreter } from './python';
import { RestartPolicy } from './restartPolicy';
import {
  describeCommand,
  findExecutable,
  resolveServerCommand,
  startFailureHint,
  type ServerCommand,
} from './serverCommand';
import { RESTART_KEYS, initializationOptions, readSettings, resolveVaultRoot } from './settings';

const SEARCH_LIMIT = 50;
const RELATED_LIMIT = 20;
const MODE_KEY = 'nvault.searchMode';
const STALE_PROGRESS_MS = 5000;

type Item<T> = PickItem<T | undefined> & vscode.QuickPickItem;

class Nvault implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private vaultRoot: string | undefined;
  private lastCommand: ServerCommand | undefined;
  private lastError: string | undefined;
  private ready: Promise<void> | undefined;
  private barActiveSince: number | undefined;
  private readonly poll = setInterval(() => this.pollWhileIndexing(), STALE_PROGRESS_MS);
  private readonly log = vscode.window.createOutputChannel('nvault');
  private readonly report = vscode.window.createOutputChannel('nvault status');
  private readonly bar = vscode.window.createStatusBarItem('nvault.status', vscode.StatusBarAlignment.Left, 0);

  constructor(private readonly context: vscode.ExtensionContext) {
    this.bar.name = 'nvault';
    this.bar.command = 'nvault.status';
    this.setBar(statusBarStarting());
    this.bar.show();
  }

  async start(): Promise<void> {
    const settings = readSettings((key) => vscode.workspace.getConfiguration('nvault').get(key));
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const root = resolveVaultRoot(settings.vaultRoot, folders, os.homedir());
    this.vaultRoot = root;
    if (!root) {
      this.fail('no vault folder: open a folder or set "nvault.vaultRoot"');
      return;
    }
    this.setBar(statusBarStarting());
    const cmd = await resolveServerCommand({
      serverCommand: settings.serverCommand,
      pythonPath: settings.pythonPath,
      vaultRoot: root,
      activeInterpreter: () => activePythonInterpreter(vscode.Uri.file(root)),
    });
    this.lastCommand = cmd;
    this.log.appendLine(`[nvault] starting: ${describeCommand(cmd)}`);
    const exe = findExecutable(cmd.command, {
      platform: process.platform,
      pathEnv: process.env.PATH ?? '',
      pathExt: process.env.PATHEXT,
      cwd: root,
      isExecutableFile,
    });
    if (!exe) {
      const message = `'${cmd.command}' was not found`;
      this.fail(message);
      await this.offerFix(startFailureHint(cmd, message));
      return;
    }

    const serverOptions: ServerOptions = { command: cmd.command, args: cmd.args, options: { cwd: root } };
    const policy = new RestartPolicy();
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'markdown' }],
      initializationOptions: initializationOptions(settings, root),
      outputChannel: this.log,
      errorHandler: this.errorHandler(policy),
      // Logged, not popped up: start() rejects too and start-up failure is reported once, below.
      initializationFailedHandler: (error) => {
        this.log.appendLine(`[nvault] initialize failed: ${errorText(error)}`);
        return false;
      },
    };
    // The id 'nvault' makes the client read the `nvault.trace.server` setting.
    const client = new LanguageClient('nvault', 'nvault', serverOptions, clientOptions);
    this.client = client;
    client.onNotification(Methods.progress, (p: ProgressParams) => this.showProgress(p));
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Stopped) this.fail('language server stopped');
      else if (e.newState === State.Starting) this.setBar(statusBarStarting());
      else if (e.oldState === State.Starting) {
        policy.running();
        void this.refreshBar(); // also after a crash restart
      }
    });
    this.ready = client.start();
    try {
      await this.ready;
    } catch (error) {
      // vscode-languageclient has already shown "couldn't create connection"; the hint goes
      // to the log it links to, next to the server's own stderr (e.g. a traceback).
      const message = errorText(error);
      this.fail(message);
      this.log.appendLine(startFailureHint(cmd, message));
      return;
    }
    this.lastError = undefined;
  }

  private errorHandler(policy: RestartPolicy): ErrorHandler {
    return {
      error: (error, _message, count) => {
        this.log.appendLine(`[nvault] connection error: ${errorText(error)}`);
        return { action: count !== undefined && count > 3 ? ErrorAction.Shutdown : ErrorAction.Continue, handled: true };
      },
      closed: () => {
        if (!policy.hasRun) return { action: CloseAction.DoNotRestart, handled: true }; // start() reports it
        if (policy.shouldRestart(Date.now())) {
          this.log.appendLine('[nvault] the language server exited; restarting it');
          return { action: CloseAction.Restart, handled: true };
        }
        const why =
          policy.recentRestarts > 0
            ? `the language server exited ${policy.recentRestarts + 1} times in 3 minutes and was not restarted`
            : 'the language server exited';
        this.fail(why);
        void vscode.window
          .showErrorMessage(`nvault: ${why}. See the "nvault" output for its log.`, 'Restart', 'Show log')
          .then((choice) => {
            if (choice === 'Restart') void this.restart();
            if (choice === 'Show log') this.log.show();
          });
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
  }

  private async offerFix(hint: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(hint, 'Open settings', 'Show log');
    if (choice === 'Open settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'nvault.server');
    if (choice === 'Show log') this.log.show();
  }

  private async refreshBar(): Promise<void> {
    try {
      const status = await this.request<StatusResult>(Methods.status, {});
      this.showProgress(statusToProgress(status));
    } catch (error) {
      this.log.appendLine(`[nvault] status request failed: ${errorText(error)}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.log.appendLine(`[nvault] stop: ${errorText(error)}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    clearInterval(this.poll);
    void this.stop();
    this.bar.dispose();
    this.report.dispose();
    this.log.dispose();
  }

  private setBar(view: StatusBarView, progress?: ProgressParams): void {
    this.bar.text = view.text;
    this.bar.tooltip = view.tooltip;
    this.barActiveSince = progress?.active ? Date.now() : undefined;
  }

  private showProgress(progress: ProgressParams): void {
    this.setBar(statusBarView(progress), progress);
  }

  /**
   * While the bar says "indexing", ask for the status if no progress came for a while,
   * so a lost or never-sent final notification cannot leave it spinning forever.
   */
  private pollWhileIndexing(): void {
    if (this.barActiveSince !== undefined && Date.now() - this.barActiveSince >= STALE_PROGRESS_MS) {
      this.barActiveSince = Date.now();
      void this.refreshBar();
    }
  }

  private fail(message: string): void {
    this.lastError = message;
    this.setBar(statusBarError(message));
    this.log.appendLine(`[nvault] ${message}`);
  }

  /** Sends a custom request; waits for a server that is still starting instead of failing. */
  private async request<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R> {
    const client = this.client;
    if (client && client.state === State.Starting) await this.ready?.catch(() => undefined);
    if (!client || !client.isRunning()) {
      throw new Error(`the language server is not running (${this.lastError ?? 'still starting'})`);
    }
    // Pass no token argument at all when there is none: an explicit `undefined` makes
    // vscode-jsonrpc send the params by position, as `[params, null]`.
    return token ? client.sendRequest<R>(method, params, token) : client.sendRequest<R>(method, params);
  }

  // ---- commands ----

  async search(): Promise<void> {
    let mode = this.context.globalState.get<SearchMode>(MODE_KEY, 'hybrid');
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
        const promise = this.request<SearchResult>(Methods.search, { query, mode, limit: SEARCH_LIMIT }, cts.token);
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
        void this.context.globalState.update(MODE_KEY, mode);
        applyMode();
        search.refresh();
      }),
      qp.onDidAccept(() => {
        const hit = qp.selectedItems[0]?.data;
        if (!hit) return;
        qp.hide();
        void this.openHit(hit).catch((error) => showError('could not open the note', error));
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

  private async openHit(hit: Hit): Promise<void> {
    const uri = this.uriOf(hit.uri, hit.path);
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

  private uriOf(uri: string, relPath: string): vscode.Uri {
    if (uri) return vscode.Uri.parse(uri, true);
    return vscode.Uri.file(path.join(this.vaultRoot ?? '', relPath));
  }

  async related(): Promise<void> {
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
          .showTextDocument(this.uriOf(item.uri, item.path))
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
      const result = await this.request<RelatedResult>(Methods.related, {
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

  async reindex(): Promise<void> {
    try {
      const result = await this.request<ReindexResult>(Methods.reindex, {});
      void vscode.window.showInformationMessage(
        result.started ? 'nvault: reindexing started.' : 'nvault: indexing is already running.',
      );
    } catch (error) {
      showError('reindex failed', error);
    }
  }

  async status(): Promise<void> {
    this.report.clear();
    try {
      const status = await this.request<StatusResult>(Methods.status, {});
      this.showProgress(statusToProgress(status));
      this.report.appendLine(formatStatusReport(status, new Date()));
    } catch (error) {
      this.report.appendLine('nvault status');
      this.report.appendLine(`  server:  not available: ${errorText(error)}`);
      if (this.lastCommand) this.report.appendLine(`  command: ${describeCommand(this.lastCommand)}`);
      this.report.appendLine(`  vault:   ${this.vaultRoot ?? '(none)'}`);
      this.report.appendLine('  See the "nvault" output channel for the server log; run "nvault: Restart server" after fixing settings.');
    }
    this.report.show(true);
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

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function showError(what: string, error: unknown): void {
  void vscode.window.showErrorMessage(`nvault: ${what}: ${errorText(error)}`);
}

let nvault: Nvault | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const app = new Nvault(context);
  nvault = app;
  context.subscriptions.push(
    app,
    vscode.commands.registerCommand('nvault.search', () => app.search()),
    vscode.commands.registerCommand('nvault.related', () => app.related()),
    vscode.commands.registerCommand('nvault.reindex', () => app.reindex()),
    vscode.commands.registerCommand('nvault.status', () => app.status()),
    vscode.commands.registerCommand('nvault.restart', () => app.restart()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!RESTART_KEYS.some((key) => e.affectsConfiguration(key))) return;
      const choice = await vscode.window.showInformationMessage(
        'nvault: settings changed. Restart the language server to apply them?',
        'Restart',
      );
      if (choice === 'Restart') await app.restart();
    }),
  );
  void app.start();
}

export async function deactivate(): Promise<void> {
  await nvault?.stop();
  nvault = undefined;
}
