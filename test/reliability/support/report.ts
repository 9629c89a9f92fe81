// Rows of the reliability table that `npm run test:reliability` prints: each test records what it injected
// or tried and what it checked in its task's meta (which vitest carries from the worker to the reporter),
// and table-reporter.ts prints them all at the end of the run.
import type { TaskMeta } from 'vitest';

export interface ReliabilityRow {
  /** The group: "DynamoDB faults", "Crashes", "Races", "LaunchDarkly faults", "Webhook abuse", "Bad data", "Load". */
  area: string;
  /** The fault or case, e.g. "throttling 20% (ProvisionedThroughputExceeded)". */
  name: string;
  /** Faults injected, or attempts made (kills, forged requests, bad items...). */
  injected: number;
  /** Items (or evaluations) compared against what they must be. */
  checked: number;
  /** Items missing or behind their source version: must be 0. */
  lost: number;
  /** Items that went back to an older version, or came back after a deletion: must be 0. */
  rolledBack: number;
  /** A short remark, e.g. "WriteFailedError named 412 keys". */
  note?: string;
}

interface RowsMeta {
  reliability?: ReliabilityRow[];
}

/** Adds a row to the table, from inside a test: `it('...', async ({ task }) => { ...; record(task, {...}) })`. */
export function record(task: { meta: TaskMeta }, row: ReliabilityRow): void {
  const meta = task.meta as TaskMeta & RowsMeta;
  (meta.reliability ??= []).push(row);
}

export function rowsOf(meta: unknown): ReliabilityRow[] {
  return (meta as RowsMeta | undefined)?.reliability ?? [];
}
