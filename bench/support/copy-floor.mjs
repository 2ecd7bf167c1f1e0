// The floor under the CPU target: what a Node process pays to copy the recorder's files with the safeguards of the
// library's copy (main/sync/library/copy.ts) and nothing else: no scan, no manifests, no upload file, no code of
// ours to load. The same steps in the same order: 1 MiB reads with the next read in flight, MD5 and CRC-32 of what
// was read, write to a temp name, background datasync every 16 MiB, fsync, CRC-32 read-back of the copy, rename.
// Asynchronous fs calls, as the engine must use (it shares its thread with the app's window and uploads). The
// folder fsyncs after the renames are left out, so this is a true lower bound.
// Plain JavaScript so that no TypeScript loader is part of what is measured.
//   node bench/support/copy-floor.mjs <recorder mount> <empty folder>
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const CHUNK = 1024 * 1024;
const WRITEBACK = 16 * 1024 * 1024;
const [mount, dest] = process.argv.slice(2);
if (!mount || !dest) throw new Error('usage: copy-floor.mjs <recorder mount> <empty folder>');

async function filesUnder(dir) {
  const out = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function readFull(fh, buf, pos) {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

let cur = Buffer.allocUnsafe(CHUNK);
let spare = Buffer.allocUnsafe(CHUNK);
const files = [...(await filesUnder(path.join(mount, 'NOTES'))), ...(await filesUnder(path.join(mount, 'CALLS')))];
for (const src of files) {
  const out = path.join(dest, path.relative(mount, src));
  const tmp = `${out}.part`;
  await fs.mkdir(path.dirname(out), { recursive: true });
  const input = await fs.open(src, 'r');
  const output = await fs.open(tmp, 'wx');
  const md5 = createHash('md5');
  let crc = 0;
  let pos = 0;
  let sinceFlush = 0;
  let flushing;
  let pending = readFull(input, cur, 0);
  for (;;) {
    const n = await pending;
    if (n === 0) break;
    md5.update(cur.subarray(0, n));
    crc = crc32(cur.subarray(0, n), crc);
    pending = readFull(input, spare, pos + n);
    let written = 0;
    while (written < n) written += (await output.write(cur, written, n - written, pos + written)).bytesWritten;
    pos += n;
    sinceFlush += n;
    if (sinceFlush >= WRITEBACK && !flushing) {
      sinceFlush = 0;
      flushing = output.datasync().then(() => (flushing = undefined));
    }
    [cur, spare] = [spare, cur];
  }
  await input.close();
  md5.digest('hex');
  await flushing;
  await output.sync();
  await output.close();
  const back = await fs.open(tmp, 'r');
  let backCrc = 0;
  for (let p = 0; ;) {
    const n = await readFull(back, cur, p);
    if (n === 0) break;
    backCrc = crc32(cur.subarray(0, n), backCrc);
    p += n;
  }
  await back.close();
  if (backCrc !== crc) throw new Error(`${src}: the copy does not read back as written`);
  await fs.rename(tmp, out);
}
