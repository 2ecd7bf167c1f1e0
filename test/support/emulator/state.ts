// What the emulated cloud remembers: upload sessions, stored files, device bindings and the request log.
import type { UploadFiletype } from './faults.js';

export interface RequestLogEntry {
  method: string;
  path: string;
  /** HTTP status answered; 0 when the connection was destroyed instead. */
  status: number;
  kind: 'api' | 's3';
  partNumber?: number;
  uploadId?: string;
}

export interface UploadSession {
  fileId: string;
  uploadId: string;
  key: string;
  filesize: number;
  filetype: UploadFiletype;
  partSize: number;
  partCount: number;
  createdAt: string;
  state: 'pending' | 'completed' | 'rejected' | 'aborted';
  /** The File Model answered on success, answered again for a repeated completion. */
  model?: Record<string, unknown>;
  /** Why the upload was refused after its S3 object was assembled (the upload is used up then). */
  rejection?: string;
  /** Serialises concurrent completions of the same upload. */
  lock: Promise<unknown>;
}

export class EmulatorState {
  readonly sessions = new Map<string, UploadSession>();
  readonly log: RequestLogEntry[] = [];

  record(entry: RequestLogEntry): void {
    this.log.push(entry);
  }

  pendingUploadIds(): string[] {
    return [...this.sessions.values()].filter((s) => s.state === 'pending').map((s) => s.uploadId);
  }
}
