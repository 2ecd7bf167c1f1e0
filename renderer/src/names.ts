// The library's file-name template, shared with the engine so the Settings preview is exactly what the library
// does. main/sync/library/names.ts is pure (no Node, no zod; it only reads the device traits table), which is why
// the window may import it; this is the one place it does.
// eslint-disable-next-line no-restricted-imports -- a pure module the lead allowed for the preview (issue 12)
export { DEFAULT_NAME_TEMPLATE, NAME_FIELDS, sampleName, templateProblem } from '../../main/sync/library/names.js';
