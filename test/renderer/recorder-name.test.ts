// The window names recorders with renderer/src/recorder-name.ts; main/ (CLI, tray, notifications, problems) with
// deviceDisplayName in main/sync/devices/traits.ts. The renderer may not import main/ at run time, so the two are
// separate code; this keeps them giving one name for one recorder, for every cloud type and every kind of model line.
import { describe, expect, it } from 'vitest';
import { recorderName } from '../../renderer/src/recorder-name.js';
import { DEVICE_TRAITS, deviceDisplayName } from '../../main/sync/devices/traits.js';
import { SN_TYPES } from '../../main/sync/types.js';

const MODEL_LINES = [
  undefined,
  '',
  '   ',
  'PLAUD NOTE',
  'PLAUD NOTEPIN',
  'PLAUD NOTE PRO',
  'PLAUD NOTE X2',
  ' plaud mini ',
  'unknown',
];

describe('one name for one recorder, in the window and in main/', () => {
  it('every cloud type with every kind of model line', () => {
    for (const sn_type of SN_TYPES) {
      for (const model of MODEL_LINES) {
        const d = model === undefined ? { sn_type } : { sn_type, model };
        expect(recorderName(d), `${sn_type} / ${JSON.stringify(model)}`).toBe(deviceDisplayName(d));
      }
    }
  });

  it("the window's names for the known types are the traits table's displayName column", () => {
    expect(DEVICE_TRAITS.length).toBeGreaterThan(0);
    for (const t of DEVICE_TRAITS)
      expect(recorderName({ sn_type: t.sn_type, model: t.modelNames[0] })).toBe(t.displayName);
  });
});
