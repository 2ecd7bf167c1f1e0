// Synced recordings, grouped by day. The list is virtualised (only the rows in view exist in the
// DOM) and paged (getHistory is asked for PAGE entries at a time, only for the pages in view), so
// 10,000 entries cost the same to show as 50. Day groups keep every row the same height: the first
// row of a day carries the day's name, so no row position depends on entries not loaded yet.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DeviceView, HistoryQuery } from '../../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from '../api.js';
import {
  dateSearch,
  dayLabel,
  formatClock,
  formatDay,
  formatLength,
  formatWhen,
  parseDay,
  startOfDay,
} from '../dates.js';
import type { HistoryEntryX } from '../engine-extras.js';
import { formatBytes, formatDateTime } from '../format.js';
import { recorderName, serialTail } from '../recorder-name.js';

export const ROW_HEIGHT = 40; // must match .vrow in styles.css
export const PAGE = 200;
const OVERSCAN = 8;

type Query = Omit<HistoryQuery, 'offset' | 'limit'>;
type Col = 'details' | 'open';

const DATE_HINT = 'Write a day as the list shows it, such as Yesterday or Sun 5 Apr 2026.';

/** One date filter field: typed in the list's own format, normalised to it once it is read. */
function useDayField(now: number) {
  const [text, setText] = useState('');
  const range = parseDay(text, now);
  const invalid = text.trim() !== '' && !range;
  const normalise = () => {
    if (range) setText(dayLabel(range.fromMs, now));
  };
  return { text, setText, range, invalid, normalise };
}

export function HistoryView(props: {
  api: PlaudSyncApi;
  devices: Pick<DeviceView, 'id' | 'sn' | 'sn_type' | 'model'>[];
  /** Changes whenever something new was synced: the list refreshes in place. */
  syncedCount: number;
  now: number;
  onError(msg: string): void;
}) {
  const { api, devices, syncedCount, now, onError } = props;
  const [text, setText] = useState('');
  const [debouncedText, setDebouncedText] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [kind, setKind] = useState<'' | 'note' | 'call'>('');
  const from = useDayField(now);
  const to = useDayField(now);
  // Relative names change at midnight, not every second: the query depends on the day only.
  const today = startOfDay(now);

  useEffect(() => {
    const t = setTimeout(() => setDebouncedText(text.trim()), 200);
    return () => clearTimeout(t);
  }, [text]);

  const query = useMemo<Query>(() => {
    const q: Query = {};
    const asDate = debouncedText ? dateSearch(debouncedText, today) : undefined;
    if (debouncedText && !asDate) q.text = debouncedText;
    if (deviceId) q.deviceId = deviceId;
    if (kind) q.kind = kind;
    const lo = [asDate?.fromMs, from.range?.fromMs].filter((v): v is number => v !== undefined);
    const hi = [asDate?.toMs, to.range?.toMs].filter((v): v is number => v !== undefined);
    if (lo.length) q.fromMs = Math.max(...lo);
    if (hi.length) q.toMs = Math.min(...hi);
    return q;
  }, [debouncedText, deviceId, kind, from.range?.fromMs, to.range?.toMs, today]);
  const queryKey = JSON.stringify(query);

  const [total, setTotal] = useState<number | null>(null);
  const [, setVersion] = useState(0);
  const pages = useRef(new Map<number, HistoryEntryX[]>());
  // Pages of the previous fetch of the same query: shown until fresh ones arrive (no flicker on refresh).
  const stale = useRef(new Map<number, HistoryEntryX[]>());
  const loading = useRef(new Set<number>());
  const generation = useRef(0);
  const lastQueryKey = useRef(queryKey);

  const fetchPage = (p: number) => {
    if (pages.current.has(p) || loading.current.has(p)) return;
    const gen = generation.current;
    loading.current.add(p);
    // An empty range (From after To) has no answer worth asking for.
    if (query.fromMs !== undefined && query.toMs !== undefined && query.fromMs > query.toMs) {
      loading.current.delete(p);
      pages.current.set(p, []);
      setTotal(0);
      return;
    }
    api.getHistory({ ...query, offset: p * PAGE, limit: PAGE }).then(
      (r) => {
        if (gen !== generation.current) return;
        loading.current.delete(p);
        pages.current.set(p, r.entries);
        setTotal(r.total);
        setVersion((v) => v + 1);
      },
      (e: unknown) => {
        if (gen !== generation.current) return;
        loading.current.delete(p);
        onError(`Could not load the history: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  };

  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const [selected, setSelected] = useState<HistoryEntryX | null>(null);

  // Refetch when the query changes, or in place when something new was synced.
  useEffect(() => {
    generation.current++;
    const sameQuery = lastQueryKey.current === queryKey;
    stale.current = sameQuery ? new Map([...stale.current, ...pages.current]) : new Map();
    if (!sameQuery) {
      setTotal(null);
      if (scroller.current) scroller.current.scrollTop = 0;
      setScrollTop(0);
    }
    lastQueryKey.current = queryKey;
    pages.current = new Map();
    loading.current = new Set();
    fetchPage(0);
  }, [queryKey, syncedCount, api]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewHeight(el.clientHeight > 0 ? el.clientHeight : 600);
    measure();
    if (typeof ResizeObserver === 'function') {
      const ro = new ResizeObserver(measure);
      ro.observe(el);
      return () => ro.disconnect();
    }
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, []);

  const count = total ?? 0;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count - 1, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);

  useEffect(() => {
    if (count === 0) return;
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) fetchPage(p);
  });

  const entryAt = (i: number): HistoryEntryX | undefined => {
    const p = Math.floor(i / PAGE);
    return (pages.current.get(p) ?? stale.current.get(p))?.[i % PAGE];
  };

  // Keyboard: arrows / Page / Home / End move between rows (same button), Left / Right between a
  // row's two buttons, scrolling as needed.
  const pendingFocus = useRef<{ i: number; col: Col } | null>(null);
  const activeRow = useRef<number | null>(null);
  const focusRow = (i: number, col: Col) => {
    const el = scroller.current;
    if (!el || count === 0) return;
    const idx = Math.max(0, Math.min(count - 1, i));
    const top = idx * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + viewHeight) el.scrollTop = top + ROW_HEIGHT - viewHeight;
    setScrollTop(el.scrollTop);
    pendingFocus.current = { i: idx, col };
    setVersion((v) => v + 1);
  };
  useEffect(() => {
    const p = pendingFocus.current;
    if (p === null || !scroller.current) return;
    const btn = scroller.current.querySelector<HTMLElement>(`[data-index="${p.i}"][data-col="${p.col}"]`);
    if (btn) {
      btn.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });
  const onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    // A key pressed again before focus has moved (key repeat) continues from where focus is going.
    const at = pendingFocus.current?.i ?? Number(target?.getAttribute('data-index') ?? NaN);
    if (Number.isNaN(at)) return;
    const col = pendingFocus.current?.col ?? (target?.getAttribute('data-col') as Col | null) ?? 'open';
    const perPage = Math.max(1, Math.floor(viewHeight / ROW_HEIGHT) - 1);
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      focusRow(at, e.key === 'ArrowLeft' ? 'details' : 'open');
      return;
    }
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      PageDown: at + perPage,
      PageUp: at - perPage,
      Home: 0,
      End: count - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    focusRow(to, col);
  };

  const deviceName = (e: HistoryEntryX) => {
    const model = devices.find((d) => d.id === e.deviceId)?.model;
    return `${recorderName({ sn_type: e.sn_type, model })} ${serialTail(e.sn)}`;
  };
  const open = (e: HistoryEntryX) =>
    void api
      .openRecording(e.id)
      .catch((err: unknown) => onError(`Could not open the file: ${err instanceof Error ? err.message : String(err)}`));
  const show = (e: HistoryEntryX) =>
    void api
      .showRecording(e.id)
      .catch((err: unknown) =>
        onError(`Could not show the file in its folder: ${err instanceof Error ? err.message : String(err)}`),
      );

  const firstVisible = Math.max(0, Math.min(count - 1, Math.floor(scrollTop / ROW_HEIGHT)));
  const tabStop =
    activeRow.current !== null && activeRow.current >= first && activeRow.current <= last
      ? activeRow.current
      : firstVisible;

  const rows = [];
  for (let i = first; i <= last; i++) {
    const e = entryAt(i);
    if (!e) {
      rows.push(
        <div role="row" class="vrow loading" key={`loading-${i}`} aria-rowindex={i + 2}>
          <span role="cell">Loading…</span>
        </div>,
      );
      continue;
    }
    const prev = i > 0 ? entryAt(i - 1) : undefined;
    const day = dayLabel(e.startMs, today);
    const startsDay = i === 0 || (prev !== undefined && startOfDay(prev.startMs) !== startOfDay(e.startMs));
    // The top row in view names its day even when the day began above it.
    const showDay = startsDay || i === firstVisible;
    const when = formatWhen(e.startMs, today);
    const isSel = selected?.id === e.id;
    rows.push(
      <div
        role="row"
        class={`vrow${startsDay ? ' day-start' : ''}${isSel ? ' selected' : ''}`}
        key={e.id}
        aria-rowindex={i + 2}
        data-day={day}
      >
        <span role="cell" class="c-day">
          {showDay ? <span class="day-name">{day}</span> : <span class="visually-hidden">{day}</span>}
        </span>
        <span role="cell" class="c-time">
          {formatClock(e.startMs)}
        </span>
        <span role="cell" class="c-dur">
          {formatLength(e.durationMs)}
        </span>
        <span role="cell" class="c-size">
          {e.sizeBytes !== undefined ? formatBytes(e.sizeBytes) : ''}
        </span>
        <span role="cell" class="c-dev">
          {deviceName(e)}
        </span>
        <span role="cell" class="c-kind">
          {e.kind === 'call' ? 'Call' : 'Note'}
        </span>
        <span role="cell" class="c-synced" title={formatDateTime(e.syncedAt)}>
          {startOfDay(e.syncedAt) === today
            ? formatClock(e.syncedAt)
            : dayLabel(e.syncedAt, today).replace(/^\w{3} /, '')}
        </span>
        <span role="cell" class="c-act">
          <button
            type="button"
            data-index={i}
            data-col="details"
            tabIndex={i === tabStop ? 0 : -1}
            aria-expanded={isSel}
            aria-controls="history-details"
            aria-label={`Details of the recording of ${when}`}
            onClick={() => setSelected(isSel ? null : e)}
          >
            Details
          </button>
          <button
            type="button"
            data-index={i}
            data-col="open"
            tabIndex={i === tabStop ? 0 : -1}
            aria-label={`Open the recording of ${when}`}
            onClick={() => open(e)}
          >
            Open
          </button>
        </span>
      </div>,
    );
  }

  // Today's engine sends no sizes: then no empty Size column.
  const withSize = [...pages.current.values(), ...stale.current.values()].some((pg) =>
    pg.some((e) => e.sizeBytes !== undefined),
  );
  const filtered = !!(
    query.text ||
    query.deviceId ||
    query.kind ||
    query.fromMs !== undefined ||
    query.toMs !== undefined
  );
  return (
    <div class="history">
      <h2>History</h2>
      <div class="filters" role="search">
        <label>
          Search
          <input
            type="search"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="A day, a serial, a file id"
          />
        </label>
        <label>
          Recorder
          <select value={deviceId} onChange={(e) => setDeviceId(e.currentTarget.value)}>
            <option value="">All recorders</option>
            {devices.map((d) => (
              <option key={d.id} value={d.id}>
                {recorderName(d)} {serialTail(d.sn)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as '' | 'note' | 'call')}>
            <option value="">Notes and calls</option>
            <option value="note">Notes</option>
            <option value="call">Calls</option>
          </select>
        </label>
        <DayInput id="h-from" label="From" field={from} />
        <DayInput id="h-to" label="To" field={to} />
      </div>
      <p role="status" class="summary">
        {total === null
          ? 'Loading…'
          : total === 0
            ? filtered
              ? 'No recordings match these filters.'
              : 'No recordings synced yet.'
            : total === 1
              ? '1 recording'
              : `${total.toLocaleString('en')} recordings`}
      </p>
      <div
        role="table"
        aria-label="Synced recordings"
        aria-rowcount={count + 1}
        class={`vtable${withSize ? '' : ' no-size'}`}
      >
        <div role="rowgroup">
          <div role="row" class="vrow vhead" aria-rowindex={1}>
            <span role="columnheader" class="c-day">
              Day
            </span>
            <span role="columnheader" class="c-time">
              Start
            </span>
            <span role="columnheader" class="c-dur">
              Length
            </span>
            <span role="columnheader" class="c-size">
              Size
            </span>
            <span role="columnheader" class="c-dev">
              Recorder
            </span>
            <span role="columnheader" class="c-kind">
              Kind
            </span>
            <span role="columnheader" class="c-synced">
              Synced
            </span>
            <span role="columnheader" class="c-act">
              <span class="visually-hidden">Actions</span>
            </span>
          </div>
        </div>
        <div
          role="rowgroup"
          class="vscroll"
          ref={scroller}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          onKeyDown={onKeyDown}
          onFocusIn={(e) => {
            const at = Number((e.target as HTMLElement).getAttribute('data-index') ?? NaN);
            if (!Number.isNaN(at)) activeRow.current = at;
          }}
        >
          <div class="vspace" style={{ paddingTop: `${first * ROW_HEIGHT}px`, height: `${count * ROW_HEIGHT}px` }}>
            {rows}
          </div>
        </div>
      </div>
      <RecordingDetails
        id="history-details"
        entry={selected}
        name={selected ? deviceName(selected) : ''}
        now={today}
        onOpen={open}
        onShow={show}
        onClose={() => setSelected(null)}
      />
    </div>
  );
}

function DayInput(props: { id: string; label: string; field: ReturnType<typeof useDayField> }) {
  const { id, label, field } = props;
  return (
    <label>
      {label}
      <input
        id={id}
        type="text"
        class="day-input"
        value={field.text}
        placeholder="e.g. Yesterday"
        aria-invalid={field.invalid}
        aria-describedby={field.invalid ? `${id}-error` : undefined}
        onInput={(e) => field.setText(e.currentTarget.value)}
        onBlur={field.normalise}
        onKeyDown={(e) => e.key === 'Enter' && field.normalise()}
      />
      {field.invalid && (
        <span id={`${id}-error`} class="field-error">
          {DATE_HINT}
        </span>
      )}
    </label>
  );
}

/**
 * Plays a recording from the app's own origin (recording/<id>): the page names the recording, main finds its file.
 * Nothing is read until the user asks to play it.
 */
function Player(props: { id: string }) {
  const [on, setOn] = useState<string | null>(null);
  if (on !== props.id) {
    return (
      <button type="button" class="rec-play" onClick={() => setOn(props.id)}>
        Play here
      </button>
    );
  }
  return (
    <audio
      class="rec-player"
      controls
      autoPlay
      src={`recording/${encodeURIComponent(props.id)}`}
      aria-label="Play the recording"
    />
  );
}

/** The facts that do not fit a row: the cloud file id, the full dates, the library file. */
function RecordingDetails(props: {
  id: string;
  entry: HistoryEntryX | null;
  name: string;
  now: number;
  onOpen(e: HistoryEntryX): void;
  onShow(e: HistoryEntryX): void;
  onClose(): void;
}) {
  const { entry: e } = props;
  return (
    <section id={props.id} class="rec-details" aria-label="Recording details" hidden={!e}>
      {e && (
        <>
          <div class="row">
            <h3>
              {e.kind === 'call' ? 'Call' : 'Note'} · {formatWhen(e.startMs, props.now)}
            </h3>
            <span class="queue-actions">
              <button type="button" onClick={() => props.onOpen(e)}>
                Open
              </button>
              <button type="button" onClick={() => props.onShow(e)}>
                Show in folder
              </button>
              <button type="button" onClick={props.onClose}>
                Close details
              </button>
            </span>
          </div>
          <Player id={e.id} />
          <dl class="facts">
            <dt>Recorded</dt>
            <dd>
              {formatDay(e.startMs)} {formatClock(e.startMs)}, {formatLength(e.durationMs)}
              {e.sizeBytes !== undefined ? `, ${formatBytes(e.sizeBytes)}` : ''}
            </dd>
            <dt>Recorder</dt>
            <dd>
              {props.name} <span class="muted">(serial {e.sn})</span>
            </dd>
            <dt>Synced</dt>
            <dd>{formatWhen(e.syncedAt, props.now)}</dd>
            <dt>Cloud file id</dt>
            <dd class="mono selectable">{e.cloudFileId}</dd>
            <dt>In the library</dt>
            <dd class="mono selectable">{e.localPath || '–'}</dd>
          </dl>
        </>
      )}
    </section>
  );
}
