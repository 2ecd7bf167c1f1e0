// How engine commands print: --json gives one JSON object per line (events, then a summary);
// otherwise short sentences, with a progress line on a terminal.
import { deviceDisplayName } from '../sync/devices/traits.js';
import type { EngineEvent } from '../sync/engine/api.js';
import type { EngineState } from '../sync/engine/state.js';
import type { SyncEngine } from '../sync/engine/engine.js';
import { redactString } from '../sync/log.js';

export interface Printer {
  line(obj: object, text: string): void;
  human(text: string): void;
  close(): void;
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function eventText(e: EngineEvent): string {
  switch (e.type) {
    case 'device-attached':
      return `Recorder found: ${deviceDisplayName(e)} (${e.sn_type}, serial ${e.sn}) at ${e.mountPath}`;
    case 'device-detached':
      return `Recorder ${e.deviceId} went away.`;
    case 'pull-finished':
      return `${e.displayName}: ${e.pulled} new recording(s) copied to the library${e.failed ? `, ${e.failed} could not be copied` : ''}. Safe to unplug.`;
    case 'sync-finished':
      return e.synced
        ? `${e.synced} recording(s)${e.displayName ? ` from ${e.displayName}` : ''} synced to the cloud.`
        : `${e.failed} recording(s) could not be uploaded.`;
    case 'problem':
      return `Problem: ${e.problem.message}${e.problem.action ? ` (${e.problem.action})` : ''}${e.problem.detail ? `\n  Details: ${e.problem.detail}` : ''}`;
    case 'problem-cleared':
      return `Resolved: ${e.problemId.split('|')[0]}`;
  }
}

export function progressText(s: EngineState): string {
  const pulling = s.devices.filter((d) => d.pull.state === 'pulling');
  if (pulling.length) {
    const d = pulling[0]!;
    const pct = d.pull.bytesTotal ? Math.floor((100 * d.pull.bytesDone) / d.pull.bytesTotal) : 0;
    return `Copying from ${deviceDisplayName(d)}: ${d.pull.filesDone} of ${d.pull.filesTotal} recordings, ${pct}%`;
  }
  const active = s.queue.filter((q) => q.state === 'uploading' || q.state === 'completing');
  if (!active.length) return '';
  const done = active.reduce((n, q) => n + q.bytesDone, 0);
  const total = active.reduce((n, q) => n + q.bytesTotal, 0);
  return `Uploading ${active.length} of ${s.queue.length}: ${mb(done)} of ${mb(total)}${s.totals.speedBps ? `, ${mb(s.totals.speedBps)}/s` : ''}`;
}

export function summaryLine(s: { synced: number; pending: number; failed: number }): string {
  if (s.pending === 0 && s.failed === 0) return `All done: ${s.synced} recording(s) synced, nothing pending.`;
  return `${s.synced} synced; ${s.pending} still pending and ${s.failed} failed.`;
}

export function attachPrinter(engine: SyncEngine, opts: { json: boolean; out?: NodeJS.WriteStream }): Printer {
  const out = opts.out ?? process.stdout;
  const tty = !opts.json && !!out.isTTY;
  let lastProgress = '';
  const clear = () => {
    if (tty && lastProgress) out.write('\r\x1b[K');
    lastProgress = '';
  };
  // Every line goes through the redactor whole, the last gate before the terminal or a script's pipe.
  const human = (text: string) => {
    if (opts.json) return;
    clear();
    out.write(redactString(text) + '\n');
  };
  const line = (obj: object, text: string) => {
    if (opts.json) out.write(redactString(JSON.stringify(obj)) + '\n');
    else human(text);
  };
  const offEvent = engine.onEvent((e) => line(e, eventText(e)));
  const offState = tty
    ? engine.onState((s) => {
        const p = progressText(s);
        if (p && p !== lastProgress) {
          out.write('\r\x1b[K' + p);
          lastProgress = p;
        }
      })
    : () => {};
  return {
    line,
    human,
    close() {
      offEvent();
      offState();
      clear();
    },
  };
}
