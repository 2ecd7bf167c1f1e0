// Quitting without losing work: the first quit request is held back, the user is warned if a
// recorder is still being read, the engine checkpoints and stops, and only then does the app exit.
import type { SyncEngineApi } from '../sync/engine/api.js';
import type { Logger } from '../sync/log.js';

export const PULLING_WARNING = 'A recorder is still being read';

export interface QuitControllerOptions {
  engine: Pick<SyncEngineApi, 'stop' | 'isPulling'>;
  log: Logger;
  /** Ask the user; resolves true for "quit anyway". */
  confirmQuitWhilePulling(): Promise<boolean>;
  /** Called once the engine stopped, right before the real quit. */
  finalQuit(): void;
  stopTimeoutMs?: number;
}

export type QuitPhase = 'running' | 'confirming' | 'stopping' | 'done';

export class QuitController {
  phase: QuitPhase = 'running';
  constructor(private readonly o: QuitControllerOptions) {}

  /** True once closing windows should really close them. */
  isQuitting(): boolean {
    return this.phase === 'stopping' || this.phase === 'done';
  }

  /** The app's 'before-quit' handler. */
  onBeforeQuit(event: { preventDefault(): void }): void {
    if (this.phase === 'done') return; // our own final quit: let it through
    event.preventDefault();
    if (this.phase === 'running') void this.request();
  }

  /** Resolves true when the app went on to quit, false when the user chose to keep it running. */
  async request(): Promise<boolean> {
    if (this.phase !== 'running') return false;
    if (this.o.engine.isPulling()) {
      this.phase = 'confirming';
      const quitAnyway = await this.o.confirmQuitWhilePulling().catch(() => false);
      if (!quitAnyway) {
        this.phase = 'running';
        this.o.log.info('quit cancelled: a recorder is being read');
        return false;
      }
    }
    this.phase = 'stopping';
    this.o.log.info('quitting: stopping the engine');
    const timeout = this.o.stopTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.o.engine.stop(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the engine did not stop within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      // Quit anyway: the ledger is crash-safe, so the worst case is redoing in-flight work.
      this.o.log.error('engine stop failed; quitting anyway', { err });
    } finally {
      clearTimeout(timer);
    }
    this.phase = 'done';
    this.o.finalQuit();
    return true;
  }
}
