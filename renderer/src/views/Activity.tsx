// The queue: one compact row per recording, in a state named for the user, with its own progress.
// Copying (the recorder's bytes) and uploading (the library file's bytes) are separate phases: each
// has its own bytes, speed and time left, and the two are never mixed in one division.
import type { DeviceView } from '../../../main/app/ipc/contract.js';
import { formatLength, formatWhen } from '../dates.js';
import { isCancelled, type EngineStateX, type ItemState, type PhaseTotals, type QueueItemX } from '../engine-extras.js';
import { formatBytes, formatEta, formatSpeed, shortReason } from '../format.js';
import { recorderName, serialTail } from '../recorder-name.js';

export interface ActivityActions {
  syncNow(): void;
  pause(): void;
  resume(): void;
  retry(id?: string): void;
  cancel(id: string): void;
}

/** What the user is told an item is doing. One of these per row; the counts line uses the same. */
export type Shown =
  | 'on-recorder'
  | 'waiting-settle'
  | 'waiting-copy'
  | 'copying'
  | 'queued'
  | 'uploading'
  | 'finishing'
  | 'waiting-retry'
  | 'retrying-now'
  | 'waiting-network'
  | 'waiting-account'
  | 'paused'
  | 'needs-you'
  | 'cancelled';

export function shownState(item: QueueItemX, ctx: { online: boolean; now: number }): Shown {
  if (isCancelled(item)) return 'cancelled';
  const s: ItemState = item.state;
  // Offline, nothing moves: an "uploading" or a due retry is really waiting for the network.
  if (!ctx.online && (s === 'uploading' || s === 'completing' || s === 'waiting-retry' || s === 'queued')) {
    return item.phase === 'copy' && s === 'queued' ? 'waiting-copy' : 'waiting-network';
  }
  switch (s) {
    case 'on-recorder':
      return 'on-recorder';
    case 'waiting-settle':
      return 'waiting-settle';
    case 'pulling':
      return 'copying';
    case 'queued':
      return item.phase === 'copy' ? 'waiting-copy' : 'queued';
    case 'uploading':
      return 'uploading';
    case 'completing':
      return 'finishing';
    case 'waiting-retry':
      return item.nextRetryAt !== undefined && item.nextRetryAt <= ctx.now ? 'retrying-now' : 'waiting-retry';
    case 'waiting-network':
      return 'waiting-network';
    case 'waiting-account':
      return 'waiting-account';
    case 'paused':
      return 'paused';
    case 'failed':
      return 'needs-you';
    case 'cancelled':
      return 'cancelled';
  }
}

const LABEL: Record<Shown, string> = {
  'on-recorder': 'Still on the recorder – plug it in again',
  'waiting-settle': 'Waiting for the recorder to finish writing',
  'waiting-copy': 'Waiting to copy',
  copying: 'Copying',
  queued: 'Copied, waiting to upload',
  uploading: 'Uploading',
  finishing: 'Finishing',
  'waiting-retry': 'Waiting to retry',
  'retrying-now': 'Retrying now',
  'waiting-network': 'Waiting for the network',
  'waiting-account': 'Waiting for your Plaud account',
  paused: 'Paused',
  'needs-you': 'Needs you',
  cancelled: 'Cancelled',
};

const CHIP: Record<Shown, string> = {
  'on-recorder': 'chip-warn',
  'waiting-settle': 'chip-muted',
  'waiting-copy': 'chip-muted',
  copying: 'chip-busy',
  queued: 'chip-muted',
  uploading: 'chip-busy',
  finishing: 'chip-busy',
  'waiting-retry': 'chip-warn',
  'retrying-now': 'chip-warn',
  'waiting-network': 'chip-warn',
  'waiting-account': 'chip-warn',
  paused: 'chip-muted',
  'needs-you': 'chip-error',
  cancelled: 'chip-muted',
};

export function stateLabel(item: QueueItemX, ctx: { online: boolean; now: number }): string {
  const shown = shownState(item, ctx);
  if (shown === 'waiting-retry' && item.nextRetryAt !== undefined) {
    const sec = Math.max(1, Math.ceil((item.nextRetryAt - ctx.now) / 1000));
    return `Waiting to retry in ${sec < 90 ? `${sec} s` : formatEta(sec)}`;
  }
  return LABEL[shown];
}

export function itemTitle(
  item: Pick<QueueItemX, 'kind' | 'startMs' | 'sn' | 'deviceId'>,
  devices: Pick<DeviceView, 'id' | 'sn_type' | 'model'>[],
  now: number,
): string {
  const dev = devices.find((d) => d.id === item.deviceId);
  const kind = item.kind === 'call' ? 'Call' : 'Note';
  // The serial's last digits tell two recorders of one model apart, as on the device cards.
  const from = dev ? `${recorderName(dev)} ${serialTail(item.sn)}` : `the recorder ${item.sn}`;
  return `${kind} ${formatWhen(item.startMs, now)} from ${from}`;
}

/** Shown states that are still work to do (count towards "to go"). */
const TO_GO = new Set<Shown>([
  'waiting-settle',
  'waiting-copy',
  'copying',
  'queued',
  'uploading',
  'finishing',
  'waiting-retry',
  'retrying-now',
  'waiting-network',
  'waiting-account',
  'paused',
]);
const MOVING = new Set<Shown>(['copying', 'uploading', 'finishing']);
const UPLOAD_MOVING = new Set<Shown>(['uploading', 'finishing']);
export const isToGo = (s: Shown): boolean => TO_GO.has(s);

/** The counts line, built from the same shown states as the rows, so the two always agree. */
export function countsLine(items: QueueItemX[], ctx: { online: boolean; now: number }): string {
  const shown = items.map((i) => shownState(i, ctx));
  const n = (pred: (s: Shown) => boolean) => shown.filter(pred).length;
  const parts: string[] = [];
  const moving = n((s) => MOVING.has(s));
  const waiting = n((s) => TO_GO.has(s) && !MOVING.has(s));
  const needs = n((s) => s === 'needs-you');
  const onRec = n((s) => s === 'on-recorder');
  const cancelled = n((s) => s === 'cancelled');
  if (moving) parts.push(`${moving} in progress`);
  if (waiting) parts.push(`${waiting} waiting`);
  if (needs) parts.push(`${needs} need${needs === 1 ? 's' : ''} you`);
  if (onRec) parts.push(`${onRec} still on the recorder`);
  if (cancelled) parts.push(`${cancelled} cancelled`);
  const toGo = moving + waiting;
  if (toGo === 0) return parts.join(', ');
  return `${toGo} to go${parts.length ? ` – ${parts.join(', ')}` : ''}`;
}

/** "12.4 MB of 40.0 MB · 2.1 MB/s · 14 s left": only the parts that are known, never "– left". */
export function phaseLine(p: PhaseTotals, online = true): string {
  const parts = [`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`];
  if (online && p.speedBps > 0) parts.push(formatSpeed(p.speedBps));
  if (online && p.etaSec !== null && p.etaSec > 0 && p.speedBps > 0) parts.push(`${formatEta(p.etaSec)} left`);
  return parts.join(' · ');
}

/**
 * The phases' totals: the engine's own when it sends them, else summed from the rows of each phase
 * (a row's phase is its own, or inferred: copying is the recorder's side, the rest the upload's).
 */
export function phaseTotals(
  state: EngineStateX,
  ctx: { online: boolean; now: number },
): { copy?: PhaseTotals; upload?: PhaseTotals } {
  if (state.totals.copy || state.totals.upload) return { copy: state.totals.copy, upload: state.totals.upload };
  const sum = (phase: 'copy' | 'upload'): PhaseTotals | undefined => {
    const items = state.queue.filter((i) => {
      const s = shownState(i, ctx);
      if (!TO_GO.has(s)) return false;
      const ph = i.phase ?? (s === 'copying' || s === 'waiting-copy' || s === 'waiting-settle' ? 'copy' : 'upload');
      return ph === phase;
    });
    if (!items.length) return undefined;
    const bytesDone = items.reduce((a, i) => a + i.bytesDone, 0);
    const bytesTotal = items.reduce((a, i) => a + i.bytesTotal, 0);
    const speedBps = items.reduce((a, i) => a + (MOVING.has(shownState(i, ctx)) ? i.speedBps : 0), 0);
    return {
      bytesDone,
      bytesTotal,
      speedBps,
      etaSec: speedBps > 0 ? Math.ceil((bytesTotal - bytesDone) / speedBps) : null,
    };
  };
  return { copy: sum('copy'), upload: sum('upload') };
}

export function ActivityView({ state, now, actions }: { state: EngineStateX; now: number; actions: ActivityActions }) {
  const { queue } = state;
  const ctx = { online: state.online, now };
  const needsYou = queue.filter((q) => shownState(q, ctx) === 'needs-you').length;
  const phases = phaseTotals(state, ctx);
  return (
    <>
      <div class="toolbar">
        <h2>Activity</h2>
        <button type="button" onClick={() => actions.syncNow()}>
          Sync now
        </button>
        {state.paused ? (
          <button type="button" onClick={() => actions.resume()}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => actions.pause()}>
            Pause
          </button>
        )}
        {needsYou > 0 && (
          <button type="button" onClick={() => actions.retry()}>
            Retry all that need you ({needsYou})
          </button>
        )}
      </div>
      {queue.length === 0 ? (
        <p class="summary">Nothing to do: every recording is synced.</p>
      ) : (
        <div class="summary">
          <p>{countsLine(queue, ctx)}</p>
          {phases.copy && <p>Copying from the recorder: {phaseLine(phases.copy, true)}</p>}
          {phases.upload && (
            // "Uploading" only while bytes go up; a queue that waits (to retry, for the network) has bytes to upload.
            <p>
              {queue.some((q) => UPLOAD_MOVING.has(shownState(q, ctx))) ? 'Uploading' : 'To upload'}:{' '}
              {phaseLine(phases.upload, state.online)}
            </p>
          )}
        </div>
      )}
      {queue.length > 0 && (
        <ul class="queue" aria-label="Queue">
          {queue.map((item) => (
            <QueueRow
              key={item.id}
              item={item}
              title={itemTitle(item, state.devices, now)}
              ctx={ctx}
              actions={actions}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function QueueRow(props: {
  item: QueueItemX;
  title: string;
  ctx: { online: boolean; now: number };
  actions: ActivityActions;
}) {
  const { item, title, ctx, actions } = props;
  const shown = shownState(item, ctx);
  const canRetry = shown === 'needs-you' || shown === 'waiting-retry';
  const canResume = shown === 'cancelled';
  const canCancel = TO_GO.has(shown) && shown !== 'finishing';
  // Finishing means every byte is sent: the bar stays full while the server answers.
  const done = shown === 'finishing' ? item.bytesTotal : item.bytesDone;
  const moving = MOVING.has(shown) && ctx.online;
  const meta: string[] = [];
  if (shown === 'on-recorder') meta.push('Not copied yet');
  else if (shown === 'finishing') meta.push(`${formatBytes(item.bytesTotal)} sent, waiting for the server`);
  else if (item.bytesDone > 0 && item.bytesDone < item.bytesTotal)
    meta.push(`${formatBytes(item.bytesDone)} of ${formatBytes(item.bytesTotal)}`);
  else if (item.bytesTotal > 0) meta.push(formatBytes(item.bytesTotal));
  if (moving && shown !== 'finishing' && item.speedBps > 0) meta.push(formatSpeed(item.speedBps));
  if (moving && shown !== 'finishing' && item.etaSec !== null && item.etaSec > 0 && item.speedBps > 0)
    meta.push(`${formatEta(item.etaSec)} left`);
  if (item.attempts > 1 && shown !== 'cancelled') meta.push(`try ${item.attempts}`);
  const showError = item.error && (shown === 'needs-you' || shown === 'waiting-retry' || shown === 'retrying-now');
  return (
    <li class={`queue-item q-${shown}`}>
      <div class="queue-main">
        <div class="queue-head">
          <span class="queue-title">{title}</span>
          <span class="muted">{formatLength(item.durationMs)}</span>
          <span class={`chip ${CHIP[shown]}`}>{stateLabel(item, ctx)}</span>
        </div>
        {shown !== 'on-recorder' && shown !== 'cancelled' && (
          <progress max={Math.max(1, item.bytesTotal)} value={done} aria-label={`Progress of ${title}`} />
        )}
        <div class="queue-meta">
          <span>{meta.join(' · ')}</span>
          {showError && (
            // One sentence, amber while it retries by itself, red when it needs the user; the rest is in Problems.
            <span class={shown === 'needs-you' ? 'queue-error' : 'queue-warn'} title={item.error}>
              {shortReason(item.error!)}
            </span>
          )}
        </div>
      </div>
      <span class="queue-actions">
        {canRetry && (
          <button type="button" aria-label={`Retry ${title}`} onClick={() => actions.retry(item.id)}>
            Retry
          </button>
        )}
        {canResume && (
          <button type="button" aria-label={`Resume ${title}`} onClick={() => actions.retry(item.id)}>
            Resume
          </button>
        )}
        {canCancel && (
          <button type="button" aria-label={`Cancel ${title}`} onClick={() => actions.cancel(item.id)}>
            Cancel
          </button>
        )}
      </span>
    </li>
  );
}
