/**
 * The Python extension's active interpreter, if that extension is installed.
 * Optional by design: no extensionDependencies, no import of its API package;
 * the shape used is the stable `environments` API of ms-python.python.
 */
import * as vscode from 'vscode';

interface EnvironmentPath {
  id: string;
  path: string;
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath | undefined;
  resolveEnvironment?(env: EnvironmentPath | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
}

export const PYTHON_EXTENSION_ID = 'ms-python.python';

export async function activePythonInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  const api = ext.isActive ? ext.exports : await ext.activate();
  const envs = api?.environments;
  if (!envs || typeof envs.getActiveEnvironmentPath !== 'function') return undefined;
  const envPath = envs.getActiveEnvironmentPath(resource);
  if (!envPath) return undefined;
  if (typeof envs.resolveEnvironment === 'function') {
    // For conda and some venvs `path` is the environment folder; resolve to the executable.
    const resolved = await envs.resolveEnvironment(envPath);
    const exe = resolved?.executable?.uri?.fsPath;
    if (exe) return exe;
  }
  return envPath.path || undefined;
}
