// A reader that polls a table while something writes to it (reading DynamoDB Local directly), and notes
// every moment a flag that must stay present was missing or deleted, and every item whose version went down.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { namespaceFor, rowJson, rowVersion, type StoredRow } from '../../../lib/store/layout.js';
import { queryNamespace } from './table-state.js';

export interface PollerReport {
  polls: number;
  /** Flags that must stay present but were missing or deleted in some poll ("key@poll"). */
  missing: string[];
  /** Items seen at a lower version than an earlier poll saw. */
  regressions: string[];
}

export interface Poller {
  stop(): Promise<PollerReport>;
}

/** Polls the flags of `prefix` until stopped; `mustStay` are the flag keys present before and after the sync. */
export function startPoller(
  client: DynamoDBClient,
  tableName: string,
  prefix: string | undefined,
  mustStay: ReadonlySet<string>,
  pauseMs = 20,
): Poller {
  const report: PollerReport = { polls: 0, missing: [], regressions: [] };
  const highest = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const live = new Set<string>();
      let rows: StoredRow[];
      try {
        rows = (await queryNamespace(client, tableName, namespaceFor(prefix, 'features'))) as StoredRow[];
      } catch {
        // A failed read is not a finding about the table; try again.
        await new Promise((r) => setTimeout(r, pauseMs));
        continue;
      }
      for (const row of rows) {
        const key = row.key!.S!;
        const version = rowVersion(row);
        const seen = highest.get(key);
        if (seen !== undefined && version < seen) report.regressions.push(`${key}: ${seen} → ${version}`);
        if (seen === undefined || version > seen) highest.set(key, version);
        const json = rowJson(row);
        if (json !== undefined && !json.includes('"deleted":true')) live.add(key);
      }
      report.polls++;
      for (const key of mustStay) if (!live.has(key)) report.missing.push(`${key}@${report.polls}`);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return report;
    },
  };
}
