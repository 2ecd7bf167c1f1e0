// Recorders seen before, so the window can show "Not connected" cards for them. A small JSON file,
// written atomically; a damaged file only costs the cards (the ledger keeps every recording).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SN_TYPES, type DeviceInfo } from '../types.js';

const KnownDevice = z.object({
  id: z.string(),
  sn: z.string(),
  sn_type: z.enum(SN_TYPES),
  model: z.string(),
  firmware: z.string(),
  lastSeenAt: z.number(),
  /** What the last look at the recorder found: shown while it is not plugged in, and read by `status`. */
  lastVisit: z
    .object({
      at: z.number(),
      recordingsOnDevice: z.number().int().nonnegative(),
      /** Recordings the recorder was still writing (copied once they settle). */
      waitingForRecorder: z.number().int().nonnegative(),
      /** Recordings copied from it in that visit. */
      pulled: z.number().int().nonnegative(),
    })
    .optional(),
});
export type KnownDevice = z.infer<typeof KnownDevice>;
const FileSchema = z.object({ version: z.literal(1), devices: z.array(KnownDevice) });

export class KnownDevices {
  private readonly map = new Map<string, KnownDevice>();
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly onError: (msg: string) => void = () => {},
  ) {
    this.file = path.join(stateDir, 'devices.json');
    try {
      const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      if (parsed.success) for (const d of parsed.data.devices) this.map.set(d.id, d);
      else
        onError(
          `The list of known recorders (${this.file}) is damaged; it will be rebuilt as recorders are plugged in.`,
        );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        onError(`The list of known recorders (${this.file}) could not be read; it will be rebuilt.`);
    }
  }

  list(): KnownDevice[] {
    return [...this.map.values()];
  }

  get(id: string): KnownDevice | undefined {
    return this.map.get(id);
  }

  remember(d: DeviceInfo, now: number): void {
    const prev = this.map.get(d.id);
    this.map.set(d.id, {
      id: d.id,
      sn: d.sn,
      sn_type: d.sn_type,
      model: d.model,
      firmware: d.firmware,
      lastSeenAt: now,
      ...(prev?.lastVisit ? { lastVisit: prev.lastVisit } : {}),
    });
    this.save();
  }

  /** Record what a look at an attached recorder found. */
  visited(id: string, visit: NonNullable<KnownDevice['lastVisit']>): void {
    const prev = this.map.get(id);
    if (!prev) return;
    this.map.set(id, { ...prev, lastSeenAt: visit.at, lastVisit: visit });
    this.save();
  }

  private save(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ version: 1, devices: this.list() }, null, 1));
      fs.renameSync(tmp, this.file);
    } catch (err) {
      this.onError(`Could not save the list of known recorders: ${(err as Error).message}`);
    }
  }
}
