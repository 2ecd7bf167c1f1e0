// The cloud side as the orchestrator sees it: one client + uploader per set of credentials.
// The account and API address are checked at once (a bad one is a problem to show right away), but the HTTP client
// (axios and the uploader) is loaded only when the first call is made: a sync that starts by pulling from a recorder
// should not spend a third of a CPU second loading it before the recorder's first byte is read.
import http from 'node:http';
import https from 'node:https';
import { acceptAccount, type Credentials } from '../cloud/credentials.js';
import type { PlaudCloudClient } from '../cloud/client.js';
import type { MultipartUploader, UploadHooks, UploadJob, UploadResult } from '../upload/uploader.js';
import type { Logger } from '../log.js';
import { programFilesMissing } from '../program-files.js';
import type { ConnectionTestResult } from './api.js';

export interface CloudPort {
  readonly apiBase: string;
  upload(job: UploadJob, hooks: UploadHooks, signal: AbortSignal): Promise<UploadResult>;
  /** True when the API host answers at all (any HTTP status): ends an offline period. */
  reachable(): Promise<boolean>;
  testConnection(): Promise<ConnectionTestResult>;
}

export function createCloudPort(opts: {
  apiBase: string;
  credentials: Credentials;
  concurrency: number;
  logger: Logger;
}): CloudPort {
  const apiBase = acceptAccount(opts.apiBase, opts.credentials);
  let loaded: Promise<{ client: PlaudCloudClient; uploader: MultipartUploader }> | undefined;
  const load = () =>
    (loaded ??= Promise.all([import('../cloud/client.js'), import('../upload/uploader.js')]).then(
      ([{ PlaudCloudClient }, { MultipartUploader }]) => {
        const client = new PlaudCloudClient({ apiBase, credentials: opts.credentials, logger: opts.logger });
        return {
          client,
          uploader: new MultipartUploader(client, { concurrency: opts.concurrency, logger: opts.logger }),
        };
      },
      // Node keeps a failed import for the life of the process, so this stays until a restart (the message says so).
      (err: unknown) => {
        throw (
          programFilesMissing(err, 'nothing can be uploaded') ??
          new Error(`Loading the upload code failed (${err instanceof Error ? err.message : String(err)}).`, {
            cause: err,
          })
        );
      },
    ));
  return {
    apiBase,
    upload: async (job, hooks, signal) => (await load()).uploader.upload(job, hooks, signal),
    reachable: () => answersHttp(apiBase),
    async testConnection() {
      try {
        await (await load()).client.verifyCredentials();
        return {
          ok: true,
          message: `Connected to ${apiBase}: the ${opts.credentials.kind === 'client' ? 'client ID and secret were' : 'API token was'} accepted.`,
        };
      } catch (err) {
        return { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

/** Any HTTP answer from the API host, within 5 s. */
export function answersHttp(base: string, timeoutMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      resolve(false);
      return;
    }
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
