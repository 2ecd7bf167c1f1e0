// Code loaded long after start (the HTTP client at the first upload, the encoders at the first WAV to encode): a
// `watch` or the app running for days may find its program files replaced by an update and the file it needs gone.
// Node keeps a failed import for the life of the process, so nothing but a restart helps: the error says so, and the
// upload queue does not retry it by itself.
export class ProgramFilesMissingError extends Error {
  override readonly name = 'ProgramFilesMissingError';
}

/** The plain-words error for a late import that found its file gone; undefined for any other import failure. */
export function programFilesMissing(err: unknown, consequence: string): ProgramFilesMissingError | undefined {
  if ((err as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const why = err instanceof Error ? err.message : String(err);
  return new ProgramFilesMissingError(
    `Part of Plaud Sync's program files is missing (was it updated while running?), so ${consequence}: ` +
      `restart plaud-sync (or the app), and reinstall it if this persists. (${why})`,
    { cause: err },
  );
}
