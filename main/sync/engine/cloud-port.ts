// The cloud side as the orchestrator sees it: one client + uploader per set of credentials.
import http from 'node:http';
import https from 'node:https';
import { PlaudCloudClient, type Credentials } from '../cloud/index.js';
import { MultipartUploader, type UploadHooks, type UploadJob, type UploadResult } from '../upload/index.js';
import type { Logger } from '../log.js';
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
  const client = new PlaudCloudClient({ apiBase: opts.apiBase, credentials: opts.credentials, logger: opts.logger });
  const uploader = new MultipartUploader(client, { concurrency: opts.concurrency, logger: opts.logger });
  return {
    apiBase: client.apiBase,
    upload: (job, hooks, signal) => uploader.upload(job, hooks, signal),
    reachable: () => answersHttp(client.apiBase),
    async testConnection() {
      try {
        await client.verifyCredentials();
        return {
          ok: true,
          message: `Connected to ${client.apiBase}: the ${opts.credentials.kind === 'client' ? 'client ID and secret were' : 'API token was'} accepted.`,
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
