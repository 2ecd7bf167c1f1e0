// A recorder is named by deviceDisplayName everywhere in main/: the CLI's live lines and the tray say "Plaud NotePin",
// never the MODEL.txt spelling "PLAUD NOTEPIN"; a model the table does not know keeps its own name, title-cased.
import { describe, expect, it } from 'vitest';
import { deviceDisplayName, UNKNOWN_RECORDER_NAME } from '../../../main/sync/devices/traits.js';
import { displayName } from '../../../main/sync/engine/device-pulls.js';
import { eventText, progressText } from '../../../main/cli/engine-output.js';
import { trayView } from '../../../main/app/tray-state.js';
import { device, emptyState } from '../../app/engine-double.js';

describe('deviceDisplayName', () => {
  it('takes the table name for a known type and the title-cased model line otherwise', () => {
    expect(deviceDisplayName({ sn_type: 'notepin', model: 'PLAUD NOTEPIN' })).toBe('Plaud NotePin');
    expect(deviceDisplayName({ sn_type: 'note', model: 'whatever it says' })).toBe('Plaud Note');
    expect(deviceDisplayName({ sn_type: 'other', model: 'PLAUD NOTE X2' })).toBe('Plaud Note X2');
    expect(deviceDisplayName({ sn_type: 'other', model: '  ' })).toBe(UNKNOWN_RECORDER_NAME);
    expect(deviceDisplayName({ sn_type: 'other' })).toBe(UNKNOWN_RECORDER_NAME);
  });

  it("is the engine's displayName and the name in the CLI's and the tray's lines", () => {
    for (const d of [
      { sn_type: 'notepin' as const, model: 'PLAUD NOTEPIN' },
      { sn_type: 'other' as const, model: 'PLAUD NOTE X2' },
    ]) {
      const name = deviceDisplayName(d);
      expect(displayName(d)).toBe(name);
      expect(eventText({ type: 'device-attached', deviceId: 'x', sn: '888', ...d, mountPath: '/media/p' })).toBe(
        `Recorder found: ${name} (${d.sn_type}, serial 888) at /media/p`,
      );
      const pulling = device({
        ...d,
        pull: { state: 'pulling', filesDone: 1, filesTotal: 2, bytesDone: 5, bytesTotal: 10 },
      });
      expect(progressText(emptyState({ devices: [pulling] }))).toContain(`Copying from ${name}:`);
      expect(trayView(emptyState({ devices: [pulling] }), null, Date.now()).status).toContain(`Reading ${name}:`);
    }
  });
});
