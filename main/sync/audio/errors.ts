// One error type for everything the audio layer rejects, so callers (scan, library, upload) can show the message
// to the user as is and branch on `code` without parsing text.

export type AudioErrorCode =
  | 'WAV_EMPTY'
  | 'WAV_NOT_RIFF'
  | 'WAV_BAD_CHUNK'
  | 'WAV_NO_FMT'
  | 'WAV_BAD_FMT'
  | 'WAV_UNSUPPORTED'
  | 'WAV_NO_DATA'
  | 'ASR_EMPTY'
  | 'ASR_STRAY_BYTES'
  | 'ASR_BAD_TOC'
  | 'OGG_BAD_PAGE'
  | 'OGG_NOT_OPUS'
  | 'OGG_NO_GRANULE'
  | 'NO_SOURCE'
  | 'ENCODE_FAILED';

export class AudioFormatError extends Error {
  readonly code: AudioErrorCode;
  /** The file the error is about, when there is one. */
  readonly filePath?: string;

  constructor(code: AudioErrorCode, message: string, filePath?: string) {
    super(message);
    this.name = 'AudioFormatError';
    this.code = code;
    if (filePath !== undefined) this.filePath = filePath;
  }
}
