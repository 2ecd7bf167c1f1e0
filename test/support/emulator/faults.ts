// Fault switches for tests. Every fault carries a count of "times" so it heals by itself; Infinity keeps it on until
// cleared. The API server and the S3 part proxy ask this object, per request, what to do.

export type UploadFiletype = 'opus' | 'mp3';
export type ApiEndpoint = 'token' | 'presign' | 'complete' | 'bind' | 'unbind';
/** Where a rate limit or delay applies: part PUTs, every API call, both, or one API endpoint. */
export type FaultTarget = 'parts' | 'api' | 'all' | ApiEndpoint;
export type GarbageKind = 'truncated' | 'wrong-shape' | 'html';

interface Counted {
  times: number;
}
interface PartFailure extends Counted {
  status: number;
}
interface PartReset extends Counted {
  when: 'before' | 'after';
}
interface RateLimit extends Counted {
  target: FaultTarget;
  retryAfterSeconds: number;
  status: number;
}
interface Slow extends Counted {
  target: FaultTarget;
  delayMs: number;
}
interface CompleteFailure extends Counted {
  phase: 'before' | 'after';
  status: number;
  mode: 'status' | 'reset';
}
interface Garbage extends Counted {
  endpoint: ApiEndpoint;
  kind: GarbageKind;
  tookEffect: boolean;
}

/** What a custom answer may look at: the request's headers (so a test can echo one, as a careless server does). */
export interface AnsweredRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}
export interface CustomAnswer extends Counted {
  endpoint: ApiEndpoint;
  status: number;
  contentType: string;
  body: string | ((req: AnsweredRequest) => string);
  /** The body is sent this many times over (streamed, so a huge answer costs the emulator no memory). */
  repeat: number;
  /** Send without Content-Length (chunked), so the client cannot tell the size up front. */
  chunked: boolean;
}

function matches(target: FaultTarget, where: 'parts' | ApiEndpoint): boolean {
  if (target === 'all') return true;
  if (target === 'parts') return where === 'parts';
  if (target === 'api') return where !== 'parts';
  return target === where;
}

/** Take one use of the first matching fault in the list; drop it when used up. */
function take<T extends Counted>(list: T[], pred: (f: T) => boolean): T | undefined {
  const i = list.findIndex(pred);
  if (i < 0) return undefined;
  const f = list[i]!;
  f.times -= 1;
  if (f.times <= 0) list.splice(i, 1);
  return f;
}

function times(n: number | undefined): number {
  const t = n ?? 1;
  if (!(t > 0)) throw new Error(`fault times must be > 0 (got ${t})`);
  return t;
}

export class Faults {
  private partFailures = new Map<number, PartFailure>();
  private partResets = new Map<number, PartReset>();
  private partCorruptions = new Map<number, Counted>();
  private rateLimits: RateLimit[] = [];
  private slows: Slow[] = [];
  private completeFailures: CompleteFailure[] = [];
  private garbage: Garbage[] = [];
  private customAnswers: CustomAnswer[] = [];
  /** Lifetime (seconds) of presigned URLs issued from now on; null = the default hour. */
  urlExpirySeconds: number | null = null;
  /** Upload ids whose already-issued URLs answer 403 "Request has expired". */
  readonly expiredUploads = new Set<string>();

  constructor(
    private readonly onRevokeTokens: (includeStatic: boolean) => void,
    private readonly activeUploadIds: () => string[],
  ) {}

  /** PUT of part `partNumber` answers `status` (default 500) without storing it, `times` times. */
  failPart(partNumber: number, opts: { times?: number; status?: number } = {}): void {
    this.partFailures.set(partNumber, { times: times(opts.times), status: opts.status ?? 500 });
  }

  /** Destroys the connection of a PUT of part `partNumber`: 'before' storing it (default) or 'after' it was stored. */
  resetPart(partNumber: number, opts: { times?: number; when?: 'before' | 'after' } = {}): void {
    this.partResets.set(partNumber, { times: times(opts.times), when: opts.when ?? 'before' });
  }

  /**
   * The bytes of a PUT of part `partNumber` arrive with one bit flipped (corruption in transit): the part is stored
   * so, and answered as S3 would, with the MD5 of what it received as ETag, which is not the MD5 of what was sent.
   */
  corruptPart(partNumber: number, opts: { times?: number } = {}): void {
    this.partCorruptions.set(partNumber, { times: times(opts.times) });
  }

  /** Answers 429 (or `status`, e.g. 503) with a Retry-After header, `times` times, on `target` (default 'all'). */
  rateLimit(opts: { target?: FaultTarget; times?: number; retryAfterSeconds?: number; status?: 429 | 503 } = {}): void {
    this.rateLimits.push({
      target: opts.target ?? 'all',
      times: times(opts.times),
      retryAfterSeconds: opts.retryAfterSeconds ?? 1,
      status: opts.status ?? 429,
    });
  }

  /** Delays answers on `target` by `delayMs`, `times` times (default: until cleared). */
  slow(opts: { target?: FaultTarget; delayMs: number; times?: number }): void {
    this.slows.push({ target: opts.target ?? 'all', delayMs: opts.delayMs, times: times(opts.times ?? Infinity) });
  }

  /** Presigned URLs issued from now on expire after `seconds` (S3 minimum 1); null restores the default hour. */
  expireUrlsAfter(seconds: number | null): void {
    if (seconds !== null && !(Number.isInteger(seconds) && seconds >= 1)) {
      throw new Error('URL expiry must be a whole number of seconds >= 1');
    }
    this.urlExpirySeconds = seconds;
  }

  /** Every URL issued so far answers 403 "Request has expired", as S3 does for an expired signature. */
  expireIssuedUrls(): void {
    for (const id of this.activeUploadIds()) this.expiredUploads.add(id);
  }

  /** complete-upload fails BEFORE taking effect: answers `status` (default 500), nothing stored. */
  failCompleteBefore(opts: { times?: number; status?: number } = {}): void {
    this.completeFailures.push({
      phase: 'before',
      times: times(opts.times),
      status: opts.status ?? 500,
      mode: 'status',
    });
  }

  /**
   * complete-upload fails AFTER taking effect: the file is stored, then the connection is destroyed ('reset', default)
   * or a 500 is answered, so the client cannot know it worked.
   */
  failCompleteAfter(opts: { times?: number; mode?: 'reset' | 500 } = {}): void {
    const mode = opts.mode ?? 'reset';
    this.completeFailures.push({
      phase: 'after',
      times: times(opts.times),
      status: 500,
      mode: mode === 'reset' ? 'reset' : 'status',
    });
  }

  /**
   * The answer of `endpoint` is garbage with status 200: 'truncated' JSON (default), valid JSON of the 'wrong-shape',
   * or
   * an 'html' error page. By default the request still took effect (something between mangled the answer).
   */
  malformedJson(endpoint: ApiEndpoint, opts: { times?: number; kind?: GarbageKind; tookEffect?: boolean } = {}): void {
    this.garbage.push({
      endpoint,
      times: times(opts.times),
      kind: opts.kind ?? 'truncated',
      tookEffect: opts.tookEffect ?? true,
    });
  }

  /**
   * `endpoint` answers exactly this, `times` times, without taking effect: any status (default 200), any content type
   * (default text/html), a body (or a function of the request, e.g. to echo its Authorization header) sent `repeat`
   * times over. For hostile answers: secrets planted in an HTML page or a JSON error, or a body of hundreds of MB.
   */
  customAnswer(
    endpoint: ApiEndpoint,
    opts: {
      times?: number;
      status?: number;
      contentType?: string;
      body: string | ((req: AnsweredRequest) => string);
      repeat?: number;
      chunked?: boolean;
    },
  ): void {
    const repeat = opts.repeat ?? 1;
    if (!(Number.isInteger(repeat) && repeat >= 1))
      throw new Error(`repeat must be a whole number >= 1 (got ${repeat})`);
    this.customAnswers.push({
      endpoint,
      times: times(opts.times),
      status: opts.status ?? 200,
      contentType: opts.contentType ?? 'text/html',
      body: opts.body,
      repeat,
      chunked: opts.chunked ?? false,
    });
  }

  /**
   * Invalidates every token the exchange issued so far; a fresh exchange works again. The emulator's own `token`
   * (a user-supplied API token) stays valid unless `includeStatic` is set.
   */
  revokeTokens(opts: { includeStatic?: boolean } = {}): void {
    this.onRevokeTokens(opts.includeStatic ?? false);
  }

  /** Clears every fault switch (revoked tokens stay revoked). */
  clear(): void {
    this.partFailures.clear();
    this.partResets.clear();
    this.partCorruptions.clear();
    this.rateLimits = [];
    this.slows = [];
    this.completeFailures = [];
    this.garbage = [];
    this.customAnswers = [];
    this.urlExpirySeconds = null;
    this.expiredUploads.clear();
  }

  // ---- used by the servers ----

  /** @internal */
  takePartCorruption(partNumber: number): Counted | undefined {
    return takeFromMap(this.partCorruptions, partNumber);
  }
  /** @internal */
  takeRateLimit(where: 'parts' | ApiEndpoint): RateLimit | undefined {
    return take(this.rateLimits, (f) => matches(f.target, where));
  }
  /** @internal */
  takeDelay(where: 'parts' | ApiEndpoint): number {
    return take(this.slows, (f) => matches(f.target, where))?.delayMs ?? 0;
  }
  /** @internal */
  takePartFailure(partNumber: number): PartFailure | undefined {
    return takeFromMap(this.partFailures, partNumber);
  }
  /** @internal */
  takePartReset(partNumber: number): PartReset | undefined {
    return takeFromMap(this.partResets, partNumber);
  }
  /** @internal */
  takeCompleteFailure(phase: 'before' | 'after'): CompleteFailure | undefined {
    return take(this.completeFailures, (f) => f.phase === phase);
  }
  /** @internal */
  takeCustomAnswer(endpoint: ApiEndpoint): CustomAnswer | undefined {
    return take(this.customAnswers, (f) => f.endpoint === endpoint);
  }
  /** @internal */
  takeGarbage(endpoint: ApiEndpoint): Garbage | undefined {
    return take(this.garbage, (f) => f.endpoint === endpoint);
  }
}

function takeFromMap<T extends Counted>(map: Map<number, T>, key: number): T | undefined {
  const f = map.get(key);
  if (!f) return undefined;
  f.times -= 1;
  if (f.times <= 0) map.delete(key);
  return f;
}
