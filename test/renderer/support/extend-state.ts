// The engine's coming fields (issue 12) on top of the scripted engine's real snapshots: the api
// passes every call through and only adds what today's engine does not send yet.
import type { PlaudSyncApi } from '../../../main/app/ipc/contract.js';
import type { EngineState } from '../../../main/sync/engine/state.js';
import type { EngineStateX, HistoryEntryX } from '../../../renderer/src/engine-extras.js';

export function withExtras<A extends PlaudSyncApi>(
  api: A,
  o: { state?: (s: EngineStateX) => EngineStateX; history?: (e: HistoryEntryX) => HistoryEntryX },
): A {
  const mod = (s: EngineState) => (o.state ? (o.state(s as unknown as EngineStateX) as unknown as EngineState) : s);
  return {
    ...api,
    getState: async () => mod(await api.getState()),
    onState: (l: (s: EngineState) => void) => api.onState((s) => l(mod(s))),
    getHistory: async (q: Parameters<PlaudSyncApi['getHistory']>[0]) => {
      const r = await api.getHistory(q);
      return o.history ? { ...r, entries: r.entries.map(o.history) } : r;
    },
  };
}
