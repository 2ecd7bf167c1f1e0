// Multipart upload of local recordings to the Plaud cloud.
export {
  MultipartUploader,
  UploadError,
  presignedExpiry,
  type UploadJob,
  type UploadHooks,
  type UploadState,
  type UploadStateChange,
  type UploadProgress,
  type UploadResult,
  type UploadFailureReason,
  type UploaderOptions,
  type RetryInfo,
} from './uploader.js';
export type { UploadedPart } from '../types.js';
export { zoneOffsetAt, splitOffset, zoneOffsetMinutes, type ZoneOffset } from './timezone.js';
export { fileMd5 } from './md5.js';
export { probeAudioFile, sniffFiletype, ProbeError, type ProbeResult } from './probe.js';
export { backoffDelay } from './backoff.js';
