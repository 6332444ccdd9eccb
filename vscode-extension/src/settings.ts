/**
 * Reading and normalising the `nvault.*` settings, without `vscode`.
 * The extension passes a getter over `workspace.getConfiguration('nvault')`;
 * tests pass a plain object. Bad values fall back to defaults instead of throwing,
 * because a typo in settings.json should not stop the extension from starting.
 */
import * as path from 'node:path';
import type { Features, InitializationOptions } from './protocol';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

export interface Settings {
  vaultRoot: string;
  serverCommand: string[];
  pythonPath: string;
  ollamaHost: string;
  ollamaModel: string;
  features: Features;
}

/** Gets a setting by its key below `nvault.` (e.g. `server.command`). */
export type SettingGetter = (key: string) => unknown;

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value.trim() : fallback;
}

function bool(value: unknown, fallback = true): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function strArray(value: unknown): string[] {
  if (typeof value === 'string') {
    // Tolerate `"nvault.server.command": "vault-lsp"` written as a plain string.
    return value.trim() ? [value.trim()] : [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

export function readSettings(get: SettingGetter): Settings {
  return {
    vaultRoot: str(get('vaultRoot')),
    serverCommand: strArray(get('server.command')),
    pythonPath: str(get('server.pythonPath')),
    ollamaHost: str(get('ollama.host')) || DEFAULT_OLLAMA_HOST,
    ollamaModel: str(get('ollama.model')),
    features: {
      hover: bool(get('features.hover')),
      completion: bool(get('features.completion')),
      seeAlso: bool(get('features.seeAlso')),
      diagnostics: bool(get('features.diagnostics')),
    },
  };
}

/**
 * Resolves `nvault.vaultRoot` to an absolute path: empty means the first workspace
 * folder; `${workspaceFolder}` and a leading `~` are expanded; a relative path is
 * taken from the first workspace folder. Returns undefined when there is nothing
 * to anchor to (no setting and no folder open).
 */
export function resolveVaultRoot(
  setting: string,
  workspaceFolders: readonly string[],
  homeDir: string,
): string | undefined {
  const first = workspaceFolders[0];
  let value = setting.trim();
  if (!value) return first;
  if (value.includes('${workspaceFolder}')) {
    if (!first) return undefined;
    value = value.split('${workspaceFolder}').join(first);
  }
  if (value === '~') value = homeDir;
  else if (value.startsWith('~/') || value.startsWith('~\\')) value = path.join(homeDir, value.slice(2));
  if (path.isAbsolute(value)) return path.normalize(value);
  if (!first) return undefined;
  return path.resolve(first, value);
}

export function initializationOptions(settings: Settings, vaultRoot: string): InitializationOptions {
  return {
    vaultRoot,
    ollamaHost: settings.ollamaHost,
    ollamaModel: settings.ollamaModel,
    features: { ...settings.features },
  };
}

/** Settings whose change needs a server restart to take effect. */
export const RESTART_KEYS = [
  'nvault.vaultRoot',
  'nvault.server',
  'nvault.ollama',
  'nvault.features',
] as const;
