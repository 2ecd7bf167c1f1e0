// The Plaud cloud API: client, errors, answer shapes.
export { PlaudCloudClient, PATHS, type CloudClientOptions, type CallOptions } from './client.js';
export { acceptAccount, type Credentials } from './credentials.js';
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
