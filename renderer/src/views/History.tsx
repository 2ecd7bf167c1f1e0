// Synced recordings. The list is virtualised (only the rows in view exist in the DOM) and paged
// (getHistory is asked for PAGE entries at a time, only for the pages in view), so 10,000 entries
// cost the same to show as 50.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DeviceView, HistoryEntry, HistoryQuery } from '../../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from '../api.js';
import { formatDateTime, formatDuration, parseDateInput } from '../format.js';

export const ROW_HEIGHT = 40; // must match .vrow in styles.css
export const PAGE = 200;
const OVERSCAN = 8;

type Query = Omit<HistoryQuery, 'offset' | 'limit'>;

export function HistoryView(props: {
  api: PlaudSyncApi;
  devices: DeviceView[];
  /** Changes whenever something new was synced: the list refreshes in place. */
  syncedCount: number;
  onError(msg: string): void;
}) {
  const { api, devices, syncedCount, onError } = props;
  const [text, setText] = useState('');
  const [debouncedText, setDebouncedText] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [kind, setKind] = useState<'' | 'note' | 'call'>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  useEffect(() => {
    const t = setTimeout(() => setDebouncedText(text.trim()), 200);
    return () => clearTimeout(t);
  }, [text]);

  const query = useMemo<Query>(() => {
    const q: Query = {};
    if (debouncedText) q.text = debouncedText;
    if (deviceId) q.deviceId = deviceId;
    if (kind) q.kind = kind;
    const f = parseDateInput(from);
    const t = parseDateInput(to, true);
    if (f !== undefined) q.fromMs = f;
    if (t !== undefined) q.toMs = t;
    return q;
  }, [debouncedText, deviceId, kind, from, to]);
  const queryKey = JSON.stringify(query);

  const [total, setTotal] = useState<number | null>(null);
  const [, setVersion] = useState(0);
  const pages = useRef(new Map<number, HistoryEntry[]>());
  // Pages of the previous fetch of the same query: shown until fresh ones arrive (no flicker on refresh).
  const stale = useRef(new Map<number, HistoryEntry[]>());
  const loading = useRef(new Set<number>());
  const generation = useRef(0);
  const lastQueryKey = useRef(queryKey);

  const fetchPage = (p: number) => {
    if (pages.current.has(p) || loading.current.has(p)) return;
    const gen = generation.current;
    loading.current.add(p);
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

  const entryAt = (i: number): HistoryEntry | undefined => {
    const p = Math.floor(i / PAGE);
    return (pages.current.get(p) ?? stale.current.get(p))?.[i % PAGE];
  };

  // Keyboard: arrows / Page / Home / End move between rows' Open buttons, scrolling as needed.
  const pendingFocus = useRef<number | null>(null);
  const activeRow = useRef<number | null>(null);
  const focusRow = (i: number) => {
    const el = scroller.current;
    if (!el || count === 0) return;
    const idx = Math.max(0, Math.min(count - 1, i));
    const top = idx * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + viewHeight) el.scrollTop = top + ROW_HEIGHT - viewHeight;
    setScrollTop(el.scrollTop);
    pendingFocus.current = idx;
    setVersion((v) => v + 1);
  };
  useEffect(() => {
    if (pendingFocus.current === null || !scroller.current) return;
    const btn = scroller.current.querySelector<HTMLElement>(`[data-index="${pendingFocus.current}"]`);
    if (btn) {
      btn.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });
  const onKeyDown = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    // A key pressed again before focus has moved (key repeat) continues from where focus is going.
    const at = pendingFocus.current ?? Number(target?.getAttribute('data-index') ?? NaN);
    if (Number.isNaN(at)) return;
    const perPage = Math.max(1, Math.floor(viewHeight / ROW_HEIGHT) - 1);
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
    focusRow(to);
  };

  const deviceName = (e: HistoryEntry) => devices.find((d) => d.id === e.deviceId)?.model ?? `${e.sn_type} ${e.sn}`;

  const firstVisible = Math.max(0, Math.min(count - 1, Math.floor(scrollTop / ROW_HEIGHT)));
  const tabStop =
    activeRow.current !== null && activeRow.current >= first && activeRow.current <= last ? activeRow.current : firstVisible;

  const rows = [];
  for (let i = first; i <= last; i++) {
    const e = entryAt(i);
    rows.push(
      e ? (
        <div role="row" class="vrow" key={e.id} aria-rowindex={i + 2}>
          <span role="cell" class="c-start">
            {formatDateTime(e.startMs)}
          </span>
          <span role="cell" class="c-dur">
            {formatDuration(e.durationMs)}
          </span>
          <span role="cell" class="c-dev">
            {deviceName(e)}
          </span>
          <span role="cell" class="c-kind">
            {e.kind === 'call' ? 'Call' : 'Note'}
          </span>
          <span role="cell" class="c-id mono" title={e.cloudFileId}>
            {e.cloudFileId}
          </span>
          <span role="cell" class="c-act">
            <button
              type="button"
              data-index={i}
              tabIndex={i === tabStop ? 0 : -1}
              aria-label={`Open the recording of ${formatDateTime(e.startMs)}`}
              onClick={() =>
                void api.openRecording(e.id).catch((err: unknown) => onError(`Could not open the file: ${err instanceof Error ? err.message : String(err)}`))
              }
            >
              Open
            </button>
          </span>
        </div>
      ) : (
        <div role="row" class="vrow loading" key={`loading-${i}`} aria-rowindex={i + 2}>
          <span role="cell">Loading…</span>
        </div>
      ),
    );
  }

  return (
    <div class="history">
      <h2>History</h2>
      <div class="filters" role="search">
        <label>
          Search
          <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="Date, file id, serial…" />
        </label>
        <label>
          Recorder
          <select value={deviceId} onChange={(e) => setDeviceId(e.currentTarget.value)}>
            <option value="">All recorders</option>
            {devices.map((d) => (
              <option key={d.id} value={d.id}>
                {d.model} ({d.sn})
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
        <label>
          From
          <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
      </div>
      <p role="status" class="summary">
        {total === null
          ? 'Loading…'
          : total === 0
            ? query.text || query.deviceId || query.kind || query.fromMs || query.toMs
              ? 'No recordings match these filters.'
              : 'No recordings synced yet.'
            : total === 1
              ? '1 recording'
              : `${total.toLocaleString('en')} recordings`}
      </p>
      <div role="table" aria-label="Synced recordings" aria-rowcount={count + 1} class="vtable">
        <div role="rowgroup">
          <div role="row" class="vrow vhead" aria-rowindex={1}>
            <span role="columnheader" class="c-start">Start</span>
            <span role="columnheader" class="c-dur">Duration</span>
            <span role="columnheader" class="c-dev">Recorder</span>
            <span role="columnheader" class="c-kind">Kind</span>
            <span role="columnheader" class="c-id">Cloud file id</span>
            <span role="columnheader" class="c-act">File</span>
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
          <div
            class="vspace"
            style={{ paddingTop: `${first * ROW_HEIGHT}px`, height: `${count * ROW_HEIGHT}px` }}
          >
            {rows}
          </div>
        </div>
      </div>
    </div>
  );
}
