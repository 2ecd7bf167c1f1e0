// rclone against the emulator's s3rver: the baseline uploader for the upload and sync benchmarks.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Emulator } from '../../test/support/emulator/index.js';

const run = promisify(execFile);

/** Copy srcDir to the emulator's bucket with 5 MiB chunks; returns the wall time in ms. */
export async function rcloneCopy(
  emu: Emulator,
  srcDir: string,
  dest: string,
  opts: { concurrency?: number; transfers?: number; bwlimitBytesPerSec?: number } = {},
): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_EMU_TYPE: 's3',
    RCLONE_CONFIG_EMU_PROVIDER: 'Other',
    RCLONE_CONFIG_EMU_ENDPOINT: emu.s3Endpoint,
    RCLONE_CONFIG_EMU_ACCESS_KEY_ID: emu.s3Credentials.accessKeyId,
    RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY: emu.s3Credentials.secretAccessKey,
    RCLONE_CONFIG_EMU_REGION: emu.s3Credentials.region,
    RCLONE_CONFIG_EMU_FORCE_PATH_STYLE: 'true',
  };
  // s3rver is plain http; a CA bundle setting would only confuse rclone's SDK.
  delete env.AWS_CA_BUNDLE;
  const args = [
    'copy',
    srcDir,
    `emu:${emu.bucket}/${dest}`,
    '--s3-chunk-size',
    '5M',
    '--s3-upload-concurrency',
    String(opts.concurrency ?? 4),
    '--s3-upload-cutoff',
    '0',
    // rclone's --bwlimit is in KiB/s here: the same uplink cap as the emulator's throttle, for a like-for-like
    // baseline.
    ...(opts.bwlimitBytesPerSec ? ['--bwlimit', `${Math.round(opts.bwlimitBytesPerSec / 1024)}k`] : []),
    '--transfers',
    String(opts.transfers ?? 1),
    '--checkers',
    String(opts.transfers ?? 1),
    '--s3-no-check-bucket',
    '--config',
    '/dev/null',
    '--retries',
    '1',
  ];
  const t0 = performance.now();
  await run('rclone', args, { env, maxBuffer: 1 << 24 });
  return performance.now() - t0;
}
