/**
 * VS Code wiring: starts vault-lsp over stdio, registers the nvault commands and the
 * status-bar item (the quick picks are in pickers.ts). Decisions and text live in the
 * vscode-free modules next to it.
 */
import { execFile } from 'node:child_process';
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
import {
  errorText,
  formatStatusReport,
  statusBarError,
  statusBarStarting,
  statusBarView,
  statusToProgress,
  type StatusBarView,
} from './format';
import { relatedNotes, searchNotes, showError, type PickerHost } from './pickers';
import { Methods, type ProgressParams, type ReindexResult, type StatusResult } from './protocol';
import { activePythonInterpreter } from './python';
import { RestartPolicy } from './restartPolicy';
import {
  describeCommand,
  chooseServerCommand,
  fallbackNotice,
  findExecutable,
  isPythonModuleCommand,
  noServerMessage,
  SERVER_MODULE,
  serverCommandCandidates,
  startFailureHint,
  type ServerCommand,
} from './serverCommand';
import { RESTART_KEYS, initializationOptions, readSettings, resolveVaultRoot } from './settings';

const STALE_PROGRESS_MS = 5000;

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
    const candidates = await serverCommandCandidates({
      serverCommand: settings.serverCommand,
      pythonPath: settings.pythonPath,
      vaultRoot: root,
      activeInterpreter: () => activePythonInterpreter(vscode.Uri.file(root)),
    });
    const choice = await chooseServerCommand(candidates, (c) => this.checkCommand(c, root));
    for (const f of choice.failures) this.log.appendLine(`[nvault] cannot use ${describeCommand(f.cmd)}: ${f.reason}`);
    const cmd = choice.chosen;
    if (!cmd) {
      this.lastCommand = candidates[0];
      this.fail('no way to start the language server worked');
      await this.offerFix(
        candidates.length === 1 ? startFailureHint(candidates[0], choice.failures[0].reason) : noServerMessage(choice),
      );
      return;
    }
    this.lastCommand = cmd;
    this.log.appendLine(`[nvault] starting: ${describeCommand(cmd)}`);
    const notice = fallbackNotice(choice);
    if (notice) {
      this.log.appendLine(`[nvault] ${notice}`);
      void vscode.window.showWarningMessage(notice, 'Open settings').then((pick) => {
        if (pick === 'Open settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'nvault.server');
      });
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

  /** undefined when `cmd` can start the server; otherwise why not (shown to the user). */
  private async checkCommand(cmd: ServerCommand, root: string): Promise<string | undefined> {
    const exe = findExecutable(cmd.command, {
      platform: process.platform,
      pathEnv: process.env.PATH ?? '',
      pathExt: process.env.PATHEXT,
      cwd: root,
      isExecutableFile,
    });
    if (!exe) return `'${cmd.command}' was not found`;
    if (!isPythonModuleCommand(cmd)) return undefined;
    return new Promise((resolve) => {
      execFile(exe, ['-c', `import ${SERVER_MODULE}`], { cwd: root, timeout: 20000 }, (error, _out, stderr) => {
        if (!error) return resolve(undefined);
        const last = String(stderr).trim().split('\n').pop();
        resolve(last || error.message);
      });
    });
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

  search(): Promise<void> {
    return searchNotes(this.pickerHost());
  }

  related(): Promise<void> {
    return relatedNotes(this.pickerHost());
  }

  private pickerHost(): PickerHost {
    return {
      request: (method, params, token) => this.request(method, params, token),
      resolveUri: (uri, relPath) =>
        uri ? vscode.Uri.parse(uri, true) : vscode.Uri.file(path.join(this.vaultRoot ?? '', relPath)),
      state: this.context.globalState,
    };
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

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
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
