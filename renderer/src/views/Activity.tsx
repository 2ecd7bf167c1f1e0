// The queue: what is being copied, uploaded or waiting, with progress, speed, ETA and the controls.
import type { DeviceView, EngineState, QueueItemState, QueueItemView } from '../../../main/app/ipc/contract.js';
import { formatBytes, formatDateTime, formatDuration, formatEta, formatSpeed } from '../format.js';

export interface ActivityActions {
  syncNow(): void;
  pause(): void;
  resume(): void;
  retry(id?: string): void;
  cancel(id: string): void;
}

export function stateLabel(item: Pick<QueueItemView, 'state' | 'nextRetryAt'>, now: number): string {
  const labels: Record<QueueItemState, string> = {
    queued: 'Queued',
    pulling: 'Pulling',
    uploading: 'Uploading',
    completing: 'Completing',
    'waiting-retry': 'Waiting to retry',
    'waiting-account': 'Waiting for an account',
    'waiting-network': 'Waiting for the network',
    paused: 'Paused',
    failed: 'Failed',
  };
  if (item.state === 'waiting-retry' && item.nextRetryAt !== undefined) {
    const s = Math.max(0, Math.ceil((item.nextRetryAt - now) / 1000));
    return `Waiting to retry in ${s} s`;
  }
  return labels[item.state];
}

const CHIP: Record<QueueItemState, string> = {
  queued: 'chip-muted',
  pulling: 'chip-busy',
  uploading: 'chip-busy',
  completing: 'chip-busy',
  'waiting-retry': 'chip-warn',
  'waiting-account': 'chip-warn',
  'waiting-network': 'chip-warn',
  paused: 'chip-muted',
  failed: 'chip-error',
};

export function itemTitle(item: QueueItemView, devices: DeviceView[]): string {
  const dev = devices.find((d) => d.id === item.deviceId);
  const kind = item.kind === 'call' ? 'Call' : 'Note';
  return `${kind} ${formatDateTime(item.startMs)} from ${dev?.model ?? item.sn}`;
}

export function ActivityView({ state, now, actions }: { state: EngineState; now: number; actions: ActivityActions }) {
  const { queue, totals } = state;
  const failed = queue.filter((q) => q.state === 'failed').length;
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
        {failed > 0 && (
          <button type="button" onClick={() => actions.retry()}>
            Retry all failed ({failed})
          </button>
        )}
      </div>
      <p class="summary">
        {queue.length === 0
          ? 'Nothing to do: every recording is synced.'
          : `${totals.active} active, ${totals.queued} queued, ${totals.failed} failed · ${formatBytes(totals.bytesPending)} to go · ${formatSpeed(totals.speedBps)} · ${formatEta(totals.etaSec)} left`}
      </p>
      {queue.length > 0 && (
        <ul class="queue" aria-label="Queue">
          {queue.map((item) => (
            <QueueRow key={item.id} item={item} title={itemTitle(item, state.devices)} now={now} actions={actions} />
          ))}
        </ul>
      )}
    </>
  );
}

function QueueRow(props: { item: QueueItemView; title: string; now: number; actions: ActivityActions }) {
  const { item, title, now, actions } = props;
  const canRetry = item.state === 'failed' || item.state === 'waiting-retry';
  const canCancel = item.state !== 'completing';
  return (
    <li class="queue-item">
      <div class="queue-head">
        <span class="queue-title">{title}</span>
        <span class="muted">{formatDuration(item.durationMs)}</span>
        <span class={`chip ${CHIP[item.state]}`}>{stateLabel(item, now)}</span>
      </div>
      <progress max={Math.max(1, item.bytesTotal)} value={item.bytesDone} aria-label={`Progress of ${title}`} />
      <div class="queue-meta">
        <span>
          {formatBytes(item.bytesDone)} of {formatBytes(item.bytesTotal)}
        </span>
        <span>{formatSpeed(item.speedBps)}</span>
        <span>{item.etaSec !== null ? `${formatEta(item.etaSec)} left` : ''}</span>
        {item.attempts > 1 && <span>try {item.attempts}</span>}
        <span class="queue-actions">
          {canRetry && (
            <button type="button" aria-label={`Retry ${title}`} onClick={() => actions.retry(item.id)}>
              Retry
            </button>
          )}
          {canCancel && (
            <button type="button" aria-label={`Cancel ${title}`} onClick={() => actions.cancel(item.id)}>
              Cancel
            </button>
          )}
        </span>
      </div>
      {item.error && <p class="error-text">{item.error}</p>}
    </li>
  );
}
