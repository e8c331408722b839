// The agent's verdict on a reply, after validation: the one shape the state machine accepts from a model.

export const DECISIONS = ['GOAL_ACHIEVED', 'FAILED_REJECTED', 'INPUT_NEEDED', 'REQUIRES_REPLY', 'SNOOZE'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Evaluation {
  decision: Decision;
  reason: string;
  /** GOAL_ACHIEVED only: already validated against the case's resultSchema. */
  result: unknown;
  /** INPUT_NEEDED only: the question for the client's human. */
  question: string | null;
  /** REQUIRES_REPLY only: what the reply should say (the agent composes the final mail from it). */
  replyBody: string | null;
  /** SNOOZE only: hours until the recheck (before OFFLOAD_TIME_SCALE). */
  snoozeHours: number | null;
}

export const SEND_PURPOSES = ['outreach', 'follow_up', 'reply', 'reply_after_input'] as const;
export type SendPurpose = (typeof SEND_PURPOSES)[number];
