// `plaud-sync push FILE...`: upload local Ogg Opus / MP3 files to the Plaud cloud and print each cloud file id.
// Credentials come from flags or, in their place, PLAUD_API_BASE / PLAUD_API_TOKEN / PLAUD_CLIENT_ID /
// PLAUD_CLIENT_SECRET (flags win), or from files (--token-file, PLAUD_API_TOKEN_FILE, ...). Secrets are never printed.
// Each upload's state is kept in <state>/push/ (see push-journal.ts): a rerun finishes the same upload, never a second.
import { Command, InvalidArgumentError, Option } from 'commander';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PlaudCloudClient, type Credentials } from '../../sync/cloud/client.js';
import { CloudError } from '../../sync/cloud/errors.js';
import { DEVICE_TRAITS } from '../../sync/devices/traits.js';
import { createFileLogger } from '../../sync/logfile.js';
import { jsonLineLogger, redactString, type Logger } from '../../sync/log.js';
import { DEFAULT_API_BASE } from '../../sync/settings.js';
import { SN_TYPES, type SnType } from '../../sync/types.js';
import { fileMd5 } from '../../sync/upload/md5.js';
import { probeAudioFile, ProbeError } from '../../sync/upload/probe.js';
import { accountKey, PushJournal, type PushKey } from '../../sync/upload/push-journal.js';
import { acquireLock, type LockHandle } from '../../sync/ledger/lock.js';
import { LedgerLockedError } from '../../sync/ledger/errors.js';
import { mkdirSync } from 'node:fs';
import { MultipartUploader, UploadError } from '../../sync/upload/uploader.js';
import { CLIENT_SECRET_NAMES, secretFrom, TOKEN_NAMES, UsageError } from '../common.js';
import { addStateDirOption, resolveStateDir } from '../engine-context.js';

export interface PushOptions {
  apiBase?: string;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  tokenFile?: string;
  clientSecretFile?: string;
  stateDir?: string;
  verbose?: boolean;
  again?: boolean;
  sn?: string;
  snType?: SnType;
  ownerId?: string;
  startTime?: number;
  duration?: number;
  concurrency?: number;
  json?: boolean;
}

/** One line per file on stdout; --json makes it one JSON object per line. */
export interface PushLine {
  file: string;
  fileId?: string;
  uploadId?: string;
  md5?: string;
  bytes?: number;
  filetype?: string;
  durationMs?: number;
  startTime?: number;
  possibleDuplicate?: boolean;
  /** An earlier push of the same file to the same account already finished: its cloud file id, nothing uploaded. */
  alreadyUploaded?: boolean;
  error?: string;
  reason?: string;
}

const nonNegativeInt = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${what} must be a whole number of milliseconds.`);
  return Number(v);
};

/**
 * Credentials: flags first, then the environment; values or files. Throws a plain message when none or both kinds are
 * given.
 */
export function resolveCredentials(opts: PushOptions, env: NodeJS.ProcessEnv = process.env): Credentials {
  const flagToken = opts.token !== undefined || opts.tokenFile !== undefined;
  const flagClient =
    opts.clientId !== undefined || opts.clientSecret !== undefined || opts.clientSecretFile !== undefined;
  if (flagToken && flagClient)
    throw new UsageError('Use either --token or --client-id with --client-secret, not both.');
  if (flagToken) return { kind: 'token', token: secretFrom(opts.token, opts.tokenFile, {}, TOKEN_NAMES)! };
  if (flagClient) {
    const clientId = opts.clientId ?? env.PLAUD_CLIENT_ID;
    const clientSecret = secretFrom(opts.clientSecret, opts.clientSecretFile, env, CLIENT_SECRET_NAMES);
    if (!clientId || !clientSecret)
      throw new UsageError('--client-id needs --client-secret (or PLAUD_CLIENT_SECRET), and the other way round.');
    return { kind: 'client', clientId, clientSecret };
  }
  const token = secretFrom(undefined, undefined, env, TOKEN_NAMES);
  if (token) return { kind: 'token', token };
  const clientSecret = secretFrom(undefined, undefined, env, CLIENT_SECRET_NAMES);
  if (env.PLAUD_CLIENT_ID && clientSecret) return { kind: 'client', clientId: env.PLAUD_CLIENT_ID, clientSecret };
  if (env.PLAUD_CLIENT_ID || clientSecret)
    throw new UsageError('PLAUD_CLIENT_ID and PLAUD_CLIENT_SECRET must both be set.');
  throw new UsageError(
    'No credentials: pass --token (or set PLAUD_API_TOKEN), or --client-id and --client-secret (or PLAUD_CLIENT_ID and PLAUD_CLIENT_SECRET); each secret can also come from a file (--token-file, --client-secret-file).',
  );
}

/** sn_type from the serial prefix, as the device-trait table says (a Note when no prefix matches). */
export function snTypeFromSerial(sn: string): SnType {
  return DEVICE_TRAITS.find((t) => t.serialPrefixes.some((p) => sn.startsWith(p)))?.sn_type ?? 'note';
}

/** Another push holds this file's journal entry right now. */
class PushBusyError extends Error {}

export function register(program: Command): void {
  addStateDirOption(program.command('push'))
    .description('Upload Ogg Opus or MP3 files to the Plaud cloud and print each cloud file id.')
    .argument('<files...>', 'audio files (Ogg Opus or MP3, detected from their content)')
    .option('--api-base <url>', `API address (env PLAUD_API_BASE; default ${DEFAULT_API_BASE})`)
    .option('--token <token>', 'API token (env PLAUD_API_TOKEN; the env var keeps it out of the process list)')
    .option('--client-id <id>', 'client id to exchange for a token (env PLAUD_CLIENT_ID)')
    .option('--client-secret <secret>', 'client secret (env PLAUD_CLIENT_SECRET)')
    .option('--token-file <file>', 'read the API token from a file only you can read (env PLAUD_API_TOKEN_FILE)')
    .option(
      '--client-secret-file <file>',
      'read the client secret from a file only you can read (env PLAUD_CLIENT_SECRET_FILE)',
    )
    .option('--sn <sn>', 'serial number of the recorder the files came from')
    .addOption(
      new Option('--sn-type <type>', 'device type (default: from the serial, or "other" with --owner-id)').choices([
        ...SN_TYPES,
      ]),
    )
    .option('--owner-id <id>', 'owner id, in place of --sn')
    .option(
      '--start-time <ms>',
      'recording start, epoch milliseconds (default: file mtime minus duration)',
      nonNegativeInt('--start-time'),
    )
    .option('--duration <ms>', 'duration in milliseconds (default: read from the file)', nonNegativeInt('--duration'))
    .option('--concurrency <n>', 'parts uploaded at once (default 4)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 16) throw new InvalidArgumentError('--concurrency must be 1..16.');
      return n;
    })
    .option('--json', 'print one JSON object per file')
    .option('--verbose', 'also print the log to stderr')
    .option('--again', 'upload a file again even though an earlier push of it finished (makes a second cloud file)')
    .action(async (files: string[], opts: PushOptions) => {
      process.exitCode = await push(files, opts);
    });
}

/** Upload every file in turn; returns the exit code (0 all uploaded, 1 some failed, 2 bad usage, 130 cancelled). */
export async function push(files: string[], opts: PushOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (line: PushLine) => {
    if (opts.json) process.stdout.write(redactString(JSON.stringify(line)) + '\n');
    else if (line.fileId) {
      const note = line.possibleDuplicate
        ? '\t(possible duplicate: an earlier attempt may also be in the cloud)'
        : line.alreadyUploaded
          ? '\t(already uploaded earlier)'
          : '';
      process.stdout.write(redactString(`${line.file}\t${line.fileId}${note}`) + '\n');
    }
  };
  const fail = (file: string, message: string, reason: string) => {
    process.stderr.write(redactString(`plaud-sync push: ${file}: ${message}`) + '\n');
    if (opts.json) out({ file, error: message, reason });
  };

  let client: PlaudCloudClient;
  let credentials: Credentials;
  let logger: Logger;
  let journal: PushJournal;
  try {
    if (!opts.sn && !opts.ownerId)
      throw new Error('Say who the recordings belong to: --sn SN (the recorder serial) or --owner-id ID.');
    if (opts.sn && opts.ownerId) throw new Error('Use either --sn or --owner-id, not both.');
    credentials = resolveCredentials(opts, env);
    const stateDir = resolveStateDir(opts, env);
    const tee = opts.verbose ? jsonLineLogger(undefined, 'debug') : undefined;
    logger = createFileLogger(path.join(stateDir, 'logs'), {
      minLevel: opts.verbose ? 'debug' : 'info',
      ...(tee ? { tee } : {}),
    });
    journal = new PushJournal(path.join(stateDir, 'push'));
    client = new PlaudCloudClient({
      apiBase: opts.apiBase ?? env.PLAUD_API_BASE ?? DEFAULT_API_BASE,
      credentials,
      logger,
    });
  } catch (err) {
    process.stderr.write(redactString(`plaud-sync push: ${(err as Error).message}`) + '\n');
    return 2;
  }
  const snType: SnType = opts.snType ?? (opts.sn ? snTypeFromSerial(opts.sn) : 'other');
  const uploader = new MultipartUploader(client, { concurrency: opts.concurrency, logger });
  const account = accountKey(credentials);
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('Cancelled (Ctrl-C).'));
  process.once('SIGINT', onSigint);
  const progress = process.stderr.isTTY && !opts.json;
  let failed = 0;
  let held: LockHandle | undefined;
  try {
    for (const file of files) {
      if (ac.signal.aborted) break;
      try {
        const probe = await probeAudioFile(file);
        if (probe.size === 0) throw new ProbeError(`${file} is empty (0 bytes): there is nothing to upload.`);
        const durationMs = opts.duration ?? probe.durationMs;
        if (durationMs === undefined || durationMs <= 0) {
          throw new ProbeError(`${file}: the duration could not be read from the file; pass --duration MS.`);
        }
        const startTime = opts.startTime ?? Math.max(0, Math.round((await stat(file)).mtimeMs) - durationMs);
        const md5 = await fileMd5(file, ac.signal);
        const key: PushKey = {
          file: path.resolve(file),
          size: probe.size,
          md5,
          apiBase: client.apiBase,
          account,
          owner: opts.sn ? `sn:${opts.sn}` : `owner:${opts.ownerId}`,
        };
        // One push of a file at a time: a second one at the same moment would make a second cloud file.
        mkdirSync(journal.dir, { recursive: true, mode: 0o700 });
        try {
          held = acquireLock(journal.dir, logger, journal.lockNameFor(key));
        } catch (err) {
          if (!(err instanceof LedgerLockedError)) throw err;
          throw new PushBusyError(
            `${file}: another plaud-sync push is uploading this file right now (pid ${err.pid}); it is not uploaded twice.`,
          );
        }
        const { entry, problem } = await journal.read(key);
        if (problem) logger.warn(`push journal entry unusable, starting afresh: ${problem}`, { file });
        if (entry?.result && !opts.again) {
          logger.info('push: already uploaded earlier', { file, fileId: entry.result.fileId });
          out({
            file,
            fileId: entry.result.fileId,
            uploadId: entry.result.uploadId,
            md5,
            bytes: probe.size,
            filetype: probe.filetype,
            durationMs,
            startTime,
            possibleDuplicate: entry.result.possibleDuplicate,
            alreadyUploaded: true,
          });
          continue;
        }
        if (entry?.state && !entry.result)
          logger.info('push: resuming an earlier upload of this file', {
            file,
            completing: entry.state.completing,
            parts: entry.state.parts.length,
          });
        const r = await uploader.upload(
          {
            path: file,
            filetype: probe.filetype,
            snType,
            sn: opts.sn,
            ownerId: opts.ownerId,
            filename: path.basename(file),
            startTime,
            durationMs,
            md5,
            ...(entry?.state && !entry.result ? { resume: entry.state } : {}),
          },
          {
            // Persisted before the upload goes on: a complete-upload is sent only once its state is on disk.
            onState: (s) => journal.saveState(key, s),
            ...(progress
              ? {
                  onProgress: (p) =>
                    process.stderr.write(
                      `\r${path.basename(file)}: ${Math.floor((100 * p.bytesSent) / p.totalBytes)}% `,
                    ),
                }
              : {}),
          },
          ac.signal,
        );
        await journal.saveResult(key, {
          fileId: r.fileId,
          uploadId: r.uploadId,
          possibleDuplicate: r.possibleDuplicate,
          at: Date.now(),
        });
        if (progress) process.stderr.write('\n');
        out({
          file,
          fileId: r.fileId,
          uploadId: r.uploadId,
          md5: r.md5,
          bytes: r.bytes,
          filetype: probe.filetype,
          durationMs,
          startTime,
          possibleDuplicate: r.possibleDuplicate,
        });
      } catch (err) {
        if (progress) process.stderr.write('\n');
        failed++;
        if (err instanceof PushBusyError) {
          fail(file, err.message, 'busy');
          continue;
        }
        logger.warn('push failed', { file, err });
        // Nothing retries a one-off push by itself: say what will (its journal resumes the same upload).
        const again = ' Run the same push again to retry it.';
        if (err instanceof UploadError) fail(file, err.message + (err.retryable ? again : ''), err.reason);
        else if (err instanceof ProbeError) fail(file, err.message, 'bad-file');
        else if (err instanceof CloudError) fail(file, err.message + (err.retryable ? again : ''), err.kind);
        else fail(file, (err as Error).message ?? String(err), 'error');
        if (err instanceof UploadError && err.reason === 'auth') break; // every other file would fail the same way
      } finally {
        held?.release();
        held = undefined;
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (ac.signal.aborted) return 130;
  return failed ? 1 : 0;
}
