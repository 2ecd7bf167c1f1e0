// Probing a mount-root entry before we know it is a recorder. A stalled network share or a stuck drive makes every
// file-system call on it wait, and on Linux a call that the FUSE daemon (or NFS, SMB...) has already taken cannot be
// interrupted, not even by SIGKILL: a thread of ours stuck there would keep our process from ever exiting and takes
// one of libuv's four threads for good. So the first look at an unknown entry runs in a child process that we can
// abandon: it lists the entry and reads its MODEL.txt, and we wait for it at most `timeoutMs`. A child that does
// not answer in time stays the entry's one outstanding probe until it ends (the volume came back); meanwhile the
// entry is skipped, and said so once.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { nullLogger, type Logger } from '../log.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 2000;
/** Bigger than any real MODEL.txt (model-file.ts caps it at 4096): a bigger file is cut here and refused there. */
const MODEL_READ_CAP = 4097;

export type ProbeResult =
  /** The entry answered: whether it holds a regular MODEL.txt, and its text. */
  | { state: 'answered'; modelText?: string }
  /** Not a folder we can enter (gone, not a directory, no permission). */
  | { state: 'absent'; reason: string }
  /** No answer within the timeout (or an earlier probe of it is still waiting): skipped this time. */
  | { state: 'hung' };

// POSIX: sh and head start in a millisecond or two, where a second Node process costs a tenth of a CPU second.
// The glob is the readdir; only the one MODEL.txt match is stat-ed (never the other entries, which may be
// mount points of their own) and it must be a regular file, not a symlink.
const SH_PROBE = [
  'cd -- "$1" || exit 2',
  'for f in *; do case "$f" in [Mm][Oo][Dd][Ee][Ll].[Tt][Xx][Tt])',
  `  if [ -f "$f" ] && [ ! -L "$f" ]; then printf 'M\\n'; exec head -c ${MODEL_READ_CAP} -- "$f"; fi;;`,
  'esac; done',
].join('\n');

// Windows (no sh): the same probe as a Node script, run by our own executable (Electron as Node in the app).
const NODE_PROBE = `
const fs = require('fs'), path = require('path');
const dir = process.argv[process.argv.length - 1];
let names;
try { names = fs.readdirSync(dir); } catch (e) { process.exit(2); }
const m = names.find((n) => n.toLowerCase() === 'model.txt');
if (m) {
  const f = path.join(dir, m);
  const st = fs.lstatSync(f);
  if (st.isFile()) {
    const buf = Buffer.alloc(${MODEL_READ_CAP});
    const fd = fs.openSync(f, 'r');
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    process.stdout.write(Buffer.concat([Buffer.from('M\\n'), buf.subarray(0, n)]));
  }
}
`;

export type ProbeProgram = 'sh' | 'node';

function commandFor(program: ProbeProgram, dir: string): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv } {
  if (program === 'sh') return { cmd: '/bin/sh', args: ['-c', SH_PROBE, 'probe', dir] };
  return { cmd: process.execPath, args: ['-e', NODE_PROBE, dir], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } };
}

const ProbeOutput = z.object({
  code: z.number().int(),
  stdout: z.instanceof(Buffer),
});

/** Run the probe child to its end (however long that takes). */
function runProbe(program: ProbeProgram, dir: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const { cmd, args, env } = commandFor(program, dir);
    const chunks: Buffer[] = [];
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true, ...(env ? { env } : {}) });
    } catch (err) {
      resolve({ state: 'absent', reason: `could not start the probe: ${(err as Error).message}` });
      return;
    }
    // A probe stuck on a dead volume must not keep our process alive: neither the child nor its pipe holds the loop.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdout?.on('data', (d: Buffer) => chunks.push(d));
    child.once('error', (err) => resolve({ state: 'absent', reason: `could not start the probe: ${err.message}` }));
    child.once('close', (code) => {
      const out = ProbeOutput.safeParse({ code: code ?? -1, stdout: Buffer.concat(chunks) });
      if (!out.success) return resolve({ state: 'absent', reason: 'the probe ended abnormally' });
      const { code: c, stdout } = out.data;
      if (c === 2) return resolve({ state: 'absent', reason: 'not a folder that can be opened' });
      if (c !== 0) return resolve({ state: 'absent', reason: `the probe failed (exit ${c})` });
      if (stdout.length >= 2 && stdout.subarray(0, 2).toString('latin1') === 'M\n')
        return resolve({ state: 'answered', modelText: stdout.subarray(2).toString('latin1') });
      resolve({ state: 'answered' });
    });
  });
}

export interface VolumeProberOptions {
  timeoutMs?: number;
  logger?: Logger;
  /** Which probe child to run; default sh on POSIX, node on Windows. */
  program?: ProbeProgram;
}

/**
 * Probes mount-root entries with a timeout, at most one outstanding probe per entry. Shared by one-shot discovery
 * and the DeviceMonitor (one per process by default, see `sharedProber`), so a hung entry is logged once.
 */
export class VolumeProber extends EventEmitter<{ 'answers-again': [string] }> {
  private readonly outstanding = new Map<string, Promise<ProbeResult>>();
  /** Entries that missed a timeout and have not answered since. */
  private readonly hung = new Set<string>();
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly program: ProbeProgram;

  constructor(opts: VolumeProberOptions = {}) {
    super();
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.log = opts.logger ?? nullLogger;
    this.program = opts.program ?? (process.platform === 'win32' ? 'node' : 'sh');
  }

  /** Entries currently not answering. */
  hungEntries(): string[] {
    return [...this.hung];
  }

  /** Probes under way (for tests: never more than one per entry). */
  outstandingCount(): number {
    return this.outstanding.size;
  }

  async probe(dir: string, opts: { timeoutMs?: number; logger?: Logger } = {}): Promise<ProbeResult> {
    const log = opts.logger ?? this.log;
    let p = this.outstanding.get(dir);
    if (!p) {
      p = runProbe(this.program, dir).finally(() => {
        this.outstanding.delete(dir);
        if (this.hung.delete(dir)) {
          log.info('a volume that was not answering answers again', { mountPath: dir });
          // Whoever scans (the DeviceMonitor) looks again now rather than at its next fallback scan.
          this.emit('answers-again', dir);
        }
      });
      this.outstanding.set(dir, p);
    } else if (this.hung.has(dir)) {
      // Still waiting on the earlier probe: do not start another, do not say it again.
      return { state: 'hung' };
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      // Ref'd on purpose: the child and its pipe are unref'd, so this timer is what keeps a one-shot command alive
      // while it waits for the answer, and no longer than the timeout.
      timer = setTimeout(() => resolve('timeout'), opts.timeoutMs ?? this.timeoutMs);
    });
    const r = await Promise.race([p, timedOut]);
    if (timer) clearTimeout(timer);
    if (r !== 'timeout') return r;
    if (!this.hung.has(dir)) {
      this.hung.add(dir);
      log.warn(
        `${dir} does not answer (a stalled network share or a stuck drive?); skipping it and looking again later`,
        { mountPath: dir },
      );
    }
    return { state: 'hung' };
  }
}

let shared: VolumeProber | undefined;
/** The process-wide prober, so every caller shares the one-probe-per-entry limit. */
export function sharedProber(): VolumeProber {
  shared ??= new VolumeProber();
  return shared;
}
