// The real S3 server (s3rver) behind the emulator, and the admin operations the emulator runs against it directly
// (not through the fault-injecting part proxy).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import S3rver from 's3rver';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/** s3rver's built-in account. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3_REGION = 'us-east-1';

export interface StoredPart {
  partNumber: number;
  size: number;
  /** Hex MD5 of the part's bytes, which is the ETag S3 answered for it (without quotes). */
  etag: string;
}

export function makeS3Client(endpoint: string): S3Client {
  // The SDK warns once per process that future releases need Node 22; this project runs on Node 20 on purpose
  // (README), and the warning would bury the emulator's own output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: { ...S3_CREDENTIALS },
    // Newer SDKs put CRC32 checksum parameters into presigned part URLs by default, which would oblige the client to
    // send a matching checksum header. The Plaud API's URLs carry only the signature.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * s3rver writes a part in place: a re-upload of a part that breaks off midway leaves the old part's ETag beside
 * truncated bytes, and s3rver never answers the broken request. S3 keeps the previous part until a new one arrives
 * whole, so parts are written to a temporary file and renamed into place only once complete.
 */
function makePartWritesAtomic(server: S3rver): void {
  const store = server.store;
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    await fs.mkdir(path.dirname(partPath), { recursive: true });
    const tmp = `${partPath}.partial-${randomBytes(6).toString('hex')}`;
    const hash = createHash('md5');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const incoming = content as NodeJS.ReadableStream & { complete?: boolean; once(e: string, f: () => void): void };
    try {
      // An IncomingMessage that is cut off just ends early on some Node versions; `complete` tells the difference.
      await pipeline(incoming, counter, createWriteStream(tmp));
      if (incoming.complete === false) throw new Error('part upload was cut off');
      const md5 = hash.digest('hex');
      await fs.writeFile(`${tmp}.md5`, md5);
      await fs.rename(tmp, partPath);
      await fs.rename(`${tmp}.md5`, `${partPath}.md5`);
      return { size, md5 };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      await fs.rm(`${tmp}.md5`, { force: true });
      throw err;
    }
  };
}

export class S3Backend {
  private constructor(
    private readonly server: S3rver,
    readonly endpoint: string,
    readonly bucket: string,
    readonly client: S3Client,
  ) {}

  static async start(directory: string, bucket: string): Promise<S3Backend> {
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      vhostBuckets: false,
      configureBuckets: [{ name: bucket }],
    });
    makePartWritesAtomic(server);
    const addr = await server.run();
    const endpoint = `http://127.0.0.1:${addr.port}`;
    return new S3Backend(server, endpoint, bucket, makeS3Client(endpoint));
  }

  get host(): string {
    return new URL(this.endpoint).host;
  }

  async createUpload(key: string, contentType: string): Promise<string> {
    const out = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!out.UploadId) throw new Error('s3rver answered CreateMultipartUpload without an UploadId');
    return out.UploadId;
  }

  private uploadDir(uploadId: string): string {
    if (!/^[0-9a-f]+$/.test(uploadId)) throw new Error('bad upload id');
    return path.join(this.server.store.getResourcePath(this.bucket, undefined, 'uploads'), uploadId);
  }

  /**
   * The parts s3rver holds for an upload (s3rver has no ListParts, so this reads its own store: each part's bytes
   * and the MD5 it computed while receiving them).
   */
  async listParts(uploadId: string): Promise<StoredPart[]> {
    const dir = this.uploadDir(uploadId);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parts: StoredPart[] = [];
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue; // skips .md5 and .partial-* files
      try {
        const [stat, md5] = await Promise.all([
          fs.stat(path.join(dir, name)),
          fs.readFile(path.join(dir, `${name}.md5`), 'utf8'),
        ]);
        parts.push({ partNumber: Number(name), size: stat.size, etag: md5.trim() });
      } catch (err) {
        // A part still being received has no .md5 yet: it is not there.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Stores one part the way s3rver's UploadPart does (atomically, see makePartWritesAtomic). */
  putPart(uploadId: string, partNumber: number, body: NodeJS.ReadableStream): Promise<{ size: number; md5: string }> {
    this.uploadDir(uploadId); // validates the id before it becomes a path
    return this.server.store.putPart(this.bucket, uploadId, partNumber, body);
  }

  async completeUpload(key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[]): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  /** s3rver has no AbortMultipartUpload; dropping its upload directory is what an abort does. */
  async abortUpload(uploadId: string): Promise<void> {
    await fs.rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  async getObject(key: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new Error(`s3rver returned no body for ${key}`);
    return Buffer.from(await out.Body.transformToByteArray());
  }

  /**
   * Size, MD5 and first bytes of a stored object, from s3rver's own store: the MD5 is the one s3rver computed while
   * assembling the object (read from its store, so a 500 MiB completion does not hash the file a second time).
   */
  /**
   * Size, MD5 and first bytes of a stored object. s3rver answers CompleteMultipartUpload (and writes the .md5) when
   * its hashing stream finishes, which can be before its file stream has written everything: given the size the
   * object must have, wait (briefly) for the file to reach it instead of reading a half-written file.
   */
  async inspectObject(key: string, expectedSize?: number): Promise<{ md5: string; size: number; head: Buffer }> {
    const objectPath = this.server.store.getResourcePath(this.bucket, key, 'object');
    let stat = await fs.stat(objectPath);
    for (let waited = 0; expectedSize !== undefined && stat.size < expectedSize && waited < 5_000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
      stat = await fs.stat(objectPath);
    }
    const md5 = await fs.readFile(`${objectPath}.md5`, 'utf8');
    const fh = await fs.open(objectPath, 'r');
    try {
      const head = Buffer.alloc(Math.min(64, stat.size));
      await fh.read(head, 0, head.length, 0);
      return { md5: md5.trim(), size: stat.size, head };
    } finally {
      await fh.close();
    }
  }

  async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await this.server.close();
  }
}
