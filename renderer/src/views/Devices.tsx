// One card per recorder: what it is, how full it is, what is new on it, and whether it may be unplugged.
import type { DeviceView } from '../../../main/app/ipc/contract.js';
import { formatAgo, formatBytes } from '../format.js';
import { RecorderIcon } from './icons.js';

export function DevicesView({ devices, now }: { devices: DeviceView[]; now: number }) {
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
  const sorted = [...devices].sort((a, b) => Number(b.connected) - Number(a.connected) || b.lastSeenAt - a.lastSeenAt);
  return (
    <>
      <h2 class="visually-hidden">Recorders</h2>
      <ul class="cards" aria-label="Recorders">
        {sorted.map((d) => (
          <li key={d.id}>
            <DeviceCard device={d} now={now} />
          </li>
        ))}
      </ul>
    </>
  );
}

function DeviceCard({ device: d, now }: { device: DeviceView; now: number }) {
  const titleId = `device-${d.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <article class={`card device ${d.connected ? 'connected' : 'away'}`} aria-labelledby={titleId}>
      <header class="card-head">
        <RecorderIcon snType={d.sn_type} />
        <div>
          <h3 id={titleId}>{d.model || 'Plaud recorder'}</h3>
          <DeviceStatus device={d} now={now} />
        </div>
      </header>
      <dl class="facts">
        <dt>Type</dt>
        <dd>{d.sn_type}</dd>
        <dt>Serial</dt>
        <dd class="mono">{d.sn}</dd>
        <dt>Firmware</dt>
        <dd>{d.firmware || '–'}</dd>
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
                aria-label={`Space used on ${d.model}`}
              />
            </>
          ) : (
            'unknown'
          )}
        </dd>
        <dt>Recordings</dt>
        <dd>
          {d.recordingsOnDevice} on the recorder, {d.newRecordings} new
        </dd>
      </dl>
      {d.pull.state === 'pulling' && (
        <div class="pull">
          <span>
            Copying recordings: {d.pull.filesDone} of {d.pull.filesTotal}
          </span>
          <progress
            max={Math.max(1, d.pull.bytesTotal)}
            value={d.pull.bytesDone}
            aria-label={`Copying from ${d.model}`}
          />
        </div>
      )}
      {d.pull.state === 'error' && d.pull.error && <p class="error-text">{d.pull.error}</p>}
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

function DeviceStatus({ device: d, now }: { device: DeviceView; now: number }) {
  if (!d.connected) {
    return <p class="chip chip-muted">Not connected · last seen {formatAgo(d.lastSeenAt, now)}</p>;
  }
  if (d.safeToUnplug) return <p class="chip chip-ok">Safe to unplug</p>;
  if (d.pull.state === 'pulling') return <p class="chip chip-busy">Reading the recorder – keep it plugged in</p>;
  if (d.pull.state === 'error') return <p class="chip chip-error">Could not read everything</p>;
  return <p class="chip chip-busy">Connected</p>;
}
