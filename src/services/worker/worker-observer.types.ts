// What the worker reports as it goes (offload.metrics.ts counts it); every hook is optional.

export interface SendObserver {
  refused?(caseId: string, reason: string): void;
  possibleDuplicateSend?(caseId: string, sendKey: string): void;
  mailSent?(transport: string): void;
}

export interface WorkerObserver extends SendObserver {
  transition?(caseId: string, from: string, to: string, type: string | null): void;
}
