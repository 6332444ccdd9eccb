/**
 * When to restart a language server that exited. A server that never finished
 * starting is not restarted (an import error or a missing module will not fix
 * itself, and each retry would pop another error); one that ran is restarted
 * up to `max` times within `windowMs`, like VS Code's default policy.
 */
export class RestartPolicy {
  private restarts: number[] = [];
  private everRunning = false;

  constructor(
    private readonly max = 4,
    private readonly windowMs = 3 * 60 * 1000,
  ) {}

  /** The server answered `initialize`. */
  running(): void {
    this.everRunning = true;
  }

  /** Called when the server exited unexpectedly; records the restart if it allows one. */
  shouldRestart(now: number): boolean {
    if (!this.everRunning) return false;
    this.restarts = this.restarts.filter((t) => now - t < this.windowMs);
    if (this.restarts.length >= this.max) return false;
    this.restarts.push(now);
    return true;
  }

  get hasRun(): boolean {
    return this.everRunning;
  }

  get recentRestarts(): number {
    return this.restarts.length;
  }
}
