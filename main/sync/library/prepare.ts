// The library's link to the audio layer's upload-file maker (main/sync/audio, owned by the audio work).
// Kept in one place so pull.ts depends on a signature, not on the audio module's file layout.
import type { PrepareUploadFn } from './pull.js';

const AUDIO_MODULE = '../audio/upload-file.js';

export const prepareUploadFile: PrepareUploadFn = async (args) => {
  const mod = (await import(AUDIO_MODULE)) as { prepareUploadFile: PrepareUploadFn };
  return mod.prepareUploadFile(args);
};
