// The Plaud cloud API: client, errors, answer shapes.
export { PlaudCloudClient, PATHS, type CloudClientOptions, type Credentials, type CallOptions } from './client.js';
export { CloudError, isCloudError, parseRetryAfter, type CloudErrorKind } from './errors.js';
export { checkApiBase, isLoopbackHost } from './api-base.js';
export {
  parsePresigned,
  FileModelSchema,
  CompleteUploadBodySchema,
  type PresignedUpload,
  type FileModel,
  type CompleteUploadBody,
  type DeviceBody,
} from './schemas.js';
