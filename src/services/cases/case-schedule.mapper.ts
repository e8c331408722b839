// The schedule fields of a new case: when its outreach may leave (startAt, then the send window's next opening)
// and the window with its zone resolved once, so a later change of the counterparty's zone cannot move it.
import { nextOpenSlot, type SendWindow } from '../../domain/send-window.policy';
import type { CreateCaseInput } from './case-input.schema';

export interface NewCaseSchedule {
  startAt: Date | null;
  sendWindow: SendWindow | null;
  /** When the outreach is due, if not at once: shown as the CREATED case's nextActionAt. */
  nextActionAt: Date | null;
  maxReplies: number;
}

export const DEFAULT_MAX_REPLIES = 10;

export function newCaseSchedule(input: CreateCaseInput, now: Date): NewCaseSchedule {
  const sendWindow: SendWindow | null = input.sendWindow
    ? {
        days: [...new Set(input.sendWindow.days)],
        start: input.sendWindow.start,
        end: input.sendWindow.end,
        timezone: input.sendWindow.timezone ?? input.counterparty.timezone ?? 'UTC',
      }
    : null;
  const startAt = input.startAt ?? null;
  const due = nextOpenSlot(new Date(Math.max(startAt?.getTime() ?? 0, now.getTime())), sendWindow);
  return {
    startAt,
    sendWindow,
    nextActionAt: due.getTime() > now.getTime() ? due : null,
    maxReplies: input.maxReplies ?? DEFAULT_MAX_REPLIES,
  };
}
