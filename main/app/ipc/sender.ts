// Only our window's page may call main: the sender must be our window's webContents and the frame
// that sent the message must show our own page (not a navigated-away or embedded frame).
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import type { RendererOrigin } from '../origin.js';

export type SenderVerdict = { ok: true } | { ok: false; reason: string };

export function checkSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  ours: WebContents | null,
  origin: RendererOrigin,
): SenderVerdict {
  if (!ours || ours.isDestroyed()) return { ok: false, reason: 'no window' };
  if (event.sender !== ours) return { ok: false, reason: 'not our window' };
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'frame gone' };
  if (frame.parent) return { ok: false, reason: 'subframe' };
  if (!origin.owns(frame.url)) return { ok: false, reason: 'foreign page' };
  return { ok: true };
}
