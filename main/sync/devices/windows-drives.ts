// Windows: which drive letters to look at. Mapped network drives hang when the network drops and fixed disks are
// never recorders, so only removable drives are probed, plus a drive letter that appeared just after a recorder
// showed up on USB (some USB mass-storage devices call themselves fixed disks).
import { execFile } from 'node:child_process';
import { z } from 'zod';

/** Win32_LogicalDisk.DriveType: 2 removable, 3 local disk, 4 network, 5 CD, 6 RAM disk. */
export const DRIVE_REMOVABLE = 2;

export interface DriveInfo {
  /** "E:" */
  letter: string;
  driveType: number;
}

const DriveList = z.array(z.object({ DeviceID: z.string().regex(/^[A-Za-z]:$/), DriveType: z.number().int() }));

/** The drive list from Windows itself (one PowerShell call; no file-system call on any drive). */
export function listWindowsDrives(): Promise<DriveInfo[]> {
  const script = 'Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID,DriveType | ConvertTo-Json -Compress';
  return new Promise((resolve, reject) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', script],
      { windowsHide: true, timeout: 10_000 },
      (err, stdout) => {
        if (err) return reject(new Error(`could not list the drives: ${err.message}`));
        try {
          const raw: unknown = JSON.parse(stdout.trim() || '[]');
          const parsed = DriveList.parse(Array.isArray(raw) ? raw : [raw]);
          resolve(parsed.map((d) => ({ letter: d.DeviceID.toUpperCase(), driveType: d.DriveType })));
        } catch (e) {
          reject(new Error(`could not read the drive list Windows gave: ${(e as Error).message}`));
        }
      },
    );
  });
}

/** "E:\" or "e:" -> "E:"; undefined for anything that is not a bare drive root. */
export function driveLetterOf(root: string): string | undefined {
  const m = /^([A-Za-z]):[\\/]?$/.exec(root);
  return m ? `${m[1]!.toUpperCase()}:` : undefined;
}

/**
 * The roots worth probing. A root that is not a bare drive letter (a folder the user chose) is kept. A drive
 * letter is kept when it is removable, or when it is new since `known` (drives seen before a recorder's USB attach)
 * and `usbAttachSeen` says a recorder just arrived.
 */
export function probeableRoots(
  roots: readonly string[],
  drives: readonly DriveInfo[],
  hint: { usbAttachSeen?: boolean; known?: ReadonlySet<string> } = {},
): string[] {
  const byLetter = new Map(drives.map((d) => [d.letter, d]));
  return roots.filter((r) => {
    const letter = driveLetterOf(r);
    if (!letter) return true;
    const d = byLetter.get(letter);
    if (!d) return false;
    if (d.driveType === DRIVE_REMOVABLE) return true;
    return !!hint.usbAttachSeen && !!hint.known && !hint.known.has(letter) && d.driveType !== 4;
  });
}
