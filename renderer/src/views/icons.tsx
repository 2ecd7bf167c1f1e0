// Recorder pictures as inline SVG (no image files to load, recoloured by CSS for light and dark).
import type { SnType } from '../../../main/app/ipc/contract.js';

export function RecorderIcon({ snType }: { snType: SnType }) {
  // Note: a card-sized slab; NotePin: a capsule; NotePro: a wider slab with a screen strip.
  let body;
  if (snType === 'notepin') {
    body = <rect x="20" y="6" width="24" height="52" rx="12" />;
  } else if (snType === 'notepro') {
    body = (
      <>
        <rect x="8" y="8" width="48" height="48" rx="8" />
        <rect class="icon-accent" x="16" y="16" width="32" height="6" rx="3" />
      </>
    );
  } else {
    body = (
      <>
        <rect x="12" y="6" width="40" height="52" rx="6" />
        <circle class="icon-accent" cx="32" cy="46" r="4" />
      </>
    );
  }
  return (
    <svg
      class={`recorder-icon recorder-${snType}`}
      viewBox="0 0 64 64"
      width="48"
      height="48"
      aria-hidden="true"
      focusable="false"
    >
      {body}
    </svg>
  );
}
