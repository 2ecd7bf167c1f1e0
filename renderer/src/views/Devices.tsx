// One card per recorder: what it is, how full it is, what is new on it, and whether it may be unplugged.
// A recorder that is not plugged in shows what it held at its last visit, not a plugged-in card's zeros.
import { formatClock, dayLabel, startOfDay } from '../dates.js';
import type { DeviceX, PhaseTotals, QueueItemX } from '../engine-extras.js';
import { formatAgo, formatBytes } from '../format.js';
import { recorderName, serialTail, snTypeWords } from '../recorder-name.js';
import { phaseLine } from './Activity.js';
import { RecorderIcon } from './icons.js';

/** Connected first, then by display name, then by serial: a card never jumps when a state changes. */
export function sortDevices<D extends Pick<DeviceX, 'connected' | 'sn_type' | 'model' | 'sn'>>(devices: D[]): D[] {
  return [...devices].sort(
    (a, b) =>
      Number(b.connected) - Number(a.connected) ||
      recorderName(a).localeCompare(recorderName(b)) ||
      a.sn.localeCompare(b.sn),
  );
}

/** "14:02" today, "Yesterday 14:02", else "Sun 5 Apr 2026 14:02". */
const when = (ms: number, now: number) =>
  startOfDay(ms) === startOfDay(now) ? formatClock(ms) : `${dayLabel(ms, now)} ${formatClock(ms)}`;

const recordingsCount = (n: number) => `${n} recording${n === 1 ? '' : 's'}`;

/** ", 2 still being written – copied once the recorder finishes them" (nothing when none). */
const stillWriting = (n: number | undefined) =>
  n
    ? `; ${n} ${n === 1 ? 'is' : 'are'} still being written – copied once the recorder finishes ${n === 1 ? 'it' : 'them'}`
    : '';

export function DevicesView({
  devices,
  queue = [],
  copy,
  now,
}: {
  devices: DeviceX[];
  queue?: QueueItemX[];
  copy?: PhaseTotals;
  now: number;
}) {
  if (devices.length === 0) {
    return (
      <div class="empty">
        <h2>No recorder yet</h2>
        <p>
          Plug your Plaud recorder into this computer with its USB cable. If nothing shows up, open the Plaud app on
          your phone and turn on “Access via USB” for the recorder once.
        </p>
      </div>
    );
  }
  const pulling = devices.filter((d) => d.pull.state === 'pulling').length;
  return (
    <>
      <h2 class="visually-hidden">Recorders</h2>
      <ul class="cards" aria-label="Recorders">
        {sortDevices(devices).map((d) => (
          <li key={d.id}>
            <DeviceCard
              device={d}
              leftOnIt={queue.filter((q) => q.deviceId === d.id && q.state === 'on-recorder').length}
              // The copy totals are the engine's, across recorders: speed and time left fit one card only.
              copy={pulling === 1 ? copy : undefined}
              now={now}
            />
          </li>
        ))}
      </ul>
    </>
  );
}

function DeviceCard({
  device: d,
  leftOnIt,
  copy,
  now,
}: {
  device: DeviceX;
  leftOnIt: number;
  copy?: PhaseTotals;
  now: number;
}) {
  const titleId = `device-${d.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const name = recorderName(d);
  // Unplugged mid-copy: how many are still on it (the engine's count, else what the pull had left).
  const stillOnIt = leftOnIt || (d.pull.state === 'error' ? Math.max(0, d.pull.filesTotal - d.pull.filesDone) : 0);
  return (
    <article class={`card device ${d.connected ? 'connected' : 'away'}`} aria-labelledby={titleId}>
      <header class="card-head">
        <RecorderIcon snType={d.sn_type} />
        <div class="card-title">
          <h3 id={titleId}>
            {name} <span class="muted serial-tail">{serialTail(d.sn)}</span>
          </h3>
        </div>
      </header>
      {/* Under the header, the pill has the card's full width: it never has to wrap. */}
      <DeviceStatus device={d} now={now} />
      <dl class="facts">
        <dt>Type</dt>
        <dd>{snTypeWords(d.sn_type)}</dd>
        <dt>Serial</dt>
        <dd class="mono">{d.sn}</dd>
        <dt>Firmware</dt>
        <dd>{d.firmware || '–'}</dd>
        {d.connected && (
          <>
            <dt>Space</dt>
            <dd>
              {/* Some volumes (FUSE, some card readers) report no sizes: say unknown, not "0 B of 0 B". */}
              {d.totalBytes && d.freeBytes !== undefined ? (
                <>
                  {formatBytes(d.freeBytes)} free of {formatBytes(d.totalBytes)}
                  <meter
                    class="space"
                    min={0}
                    max={d.totalBytes}
                    value={d.totalBytes - d.freeBytes}
                    aria-label={`Space used on ${name}`}
                  />
                </>
              ) : (
                'unknown'
              )}
            </dd>
            <dt>Recordings</dt>
            <dd>
              {d.recordingsOnDevice} on the recorder, {d.newRecordings} new
              {stillWriting(d.waitingForRecorder)}
            </dd>
          </>
        )}
        {!d.connected && d.lastVisit && (
          <>
            <dt>Recordings</dt>
            <dd>
              {d.lastVisit.recordingsOnDevice} on the recorder at its last visit
              {stillWriting(d.lastVisit.waitingForRecorder)}
            </dd>
          </>
        )}
        {d.lastVisit?.synced !== undefined ? (
          <>
            <dt>Last synced</dt>
            <dd>
              {recordingsCount(d.lastVisit.synced)}, {when(d.lastVisit.at, now)}
            </dd>
          </>
        ) : d.lastVisit?.pulled !== undefined ? (
          <>
            <dt>Last copied</dt>
            <dd>
              {recordingsCount(d.lastVisit.pulled)}, {when(d.lastVisit.at, now)}
            </dd>
          </>
        ) : null}
      </dl>
      {d.pull.state === 'pulling' && (
        <div class="pull">
          <span>
            {/* The bar measures bytes: the text names them too, so the two always agree. */}
            Copying recordings: {d.pull.filesDone} of {d.pull.filesTotal} copied ·{' '}
            {phaseLine({
              bytesDone: d.pull.bytesDone,
              bytesTotal: d.pull.bytesTotal,
              speedBps: d.pull.speedBps ?? copy?.speedBps ?? 0,
              etaSec: d.pull.etaSec ?? copy?.etaSec ?? null,
            })}
          </span>
          <progress max={Math.max(1, d.pull.bytesTotal)} value={d.pull.bytesDone} aria-label={`Copying from ${name}`} />
        </div>
      )}
      {stillOnIt > 0 && !d.connected && (
        <p class="warning">
          {name} {serialTail(d.sn)} was unplugged before it was read to the end. {stillOnIt} recording
          {stillOnIt === 1 ? ' is' : 's are'} still on it – plug it in again to copy {stillOnIt === 1 ? 'it' : 'them'}.
        </p>
      )}
      {d.pull.state === 'error' && d.pull.error && (d.connected || stillOnIt === 0) && (
        <p class="error-text">{d.pull.error}</p>
      )}
      {d.warnings.length > 0 && (
        <ul class="warnings">
          {d.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </article>
  );
}

function DeviceStatus({ device: d, now }: { device: DeviceX; now: number }) {
  if (!d.connected) {
    return <p class="chip chip-muted">Not plugged in · last seen {formatAgo(d.lastSeenAt, now)}</p>;
  }
  if (d.safeToUnplug) return <p class="chip chip-ok">Safe to unplug</p>;
  if (d.pull.state === 'pulling') return <p class="chip chip-busy">Reading the recorder – keep it plugged in</p>;
  if (d.pull.state === 'error') return <p class="chip chip-error">Could not read everything</p>;
  return <p class="chip chip-busy">Connected</p>;
}
