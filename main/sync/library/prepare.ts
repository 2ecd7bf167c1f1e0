// The library's link to the audio layer's upload-file maker (main/sync/audio/prepare.ts).
// Kept in one place so pull.ts depends on a signature, not on the audio module's layout.
import { prepareUploadFile as audioPrepare } from '../audio/prepare.js';
import type { PrepareUploadFn } from './pull.js';

export const prepareUploadFile: PrepareUploadFn = (args) => audioPrepare(args);
