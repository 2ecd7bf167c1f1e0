// A manual probe of the device model: mount the bench's recorder at a set speed, cold, and time one command on it
// (wall and CPU seconds), e.g. under strace or `node --cpu-prof`. Not part of `npm run bench`.
//   npx tsx bench/support/device-probe.ts <rate MB/s|0> -- <command...>   ({mount} and {media} are replaced)
// PROBE_UPLINK=<MB/s> also starts the Plaud API emulator with that upload cap (0: none): {api} and {token}.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildRecorderImage, dropCaches, startNbdRecorder } from '../../test/support/nbd-recorder.js';
import type { RecordingSpec } from '../../test/support/recorder.js';
import { startEmulator } from '../../test/support/emulator/index.js';

const work = process.env.PROBE_DIR ?? '/tmp/device-probe';
const [rateArg, sep, ...cmd] = process.argv.slice(2);
if (sep !== '--' || !cmd.length) throw new Error('usage: device-probe.ts <rate MB/s|0> -- <command...>');
const recordings: RecordingSpec[] = Array.from({ length: Number(process.env.PROBE_RECORDINGS ?? 4) }, (_, i) => ({
  kind: i % 4 === 3 ? 'call' : 'note',
  startSec: 1_709_280_000 + i * 7200,
  seconds: 60,
  wavRepeat: 5,
}));
await fs.mkdir(work, { recursive: true });
const image = path.join(work, `recorder-${recordings.length}.img`);
if (!existsSync(image)) await buildRecorderImage(image, { recordings });
const media = path.join(work, 'media');
const rate = Number(rateArg) * 1e6;
const rec = await startNbdRecorder({
  image,
  mountPoint: path.join(media, 'PLAUD_NOTE'),
  ...(rate ? { rateBytesPerSec: rate } : {}),
});
const emu = process.env.PROBE_UPLINK !== undefined ? await startEmulator() : undefined;
emu?.uploadThrottle.setRate(Number(process.env.PROBE_UPLINK) * 1e6);
try {
  await dropCaches();
  const argv = cmd.map((a) => a.replaceAll('{mount}', rec.mountPoint).replaceAll('{media}', media));
  const withApi = argv.map((a) => (emu ? a.replaceAll('{api}', emu.baseUrl).replaceAll('{token}', emu.token) : a));
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    spawn(withApi[0]!, withApi.slice(1), { stdio: 'inherit' }).on('close', resolve);
  });
  const ms = performance.now() - t0;
  const stat = (await fs.readFile('/proc/self/stat', 'utf8')).slice(-400);
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(f[13]) + Number(f[14])) / 100;
  const load = (await fs.readFile('/proc/loadavg', 'utf8')).trim();
  console.error(`probe: exit ${code}, ${(ms / 1000).toFixed(2)} s wall, ${cpu.toFixed(2)} CPU s [load ${load}]`);
} finally {
  await emu?.stop();
  await rec.cleanup();
}
