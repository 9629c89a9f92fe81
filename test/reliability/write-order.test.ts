// Write order, checked request by request: while a sync runs, a reader must never find a flag pointing at a
// prerequisite flag or a segment the table does not have. The proxy's hook stops each write request before
// it reaches DynamoDB and reads the table directly: a flag being written must find its prerequisites and
// segments already there (or in the same transaction), and a flag being deleted must have no live flag left
// that names it as a prerequisite. Creation is checked on a sync that adds 20 chains of prerequisite →
// dependent flag + segment; deletion on the sync that removes them again.
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceFor, prerequisiteKeys, segmentKeys } from '../../lib/store/layout.js';
import { DynamoDBFlagStore, type Flag, type FullDataSet, type Segment } from '../../lib/store/index.js';
import { startFaultProxy, type DynamoDBFaultProxy, type ProxiedRequest } from '../support/ddb-fault-proxy.js';
import { generateEnvironment } from '../support/generate-environment.js';
import { freshTable, localClient, localClientConfig } from '../support/tables.js';
import { statementItem, type PartiqlStatement } from '../support/partiql.js';
import { record } from './support/report.js';
import { compareWith, describeProblems, readTable } from './support/table-state.js';

const AREA = 'Races';
const CHAINS = 20;

let client: DynamoDBClient;
let proxy: DynamoDBFaultProxy;
let base: FullDataSet;
let withChains: FullDataSet;

/** A prerequisite flag, a segment, and a flag depending on both; keys sort prerequisite first, as a Query returns them. */
function chains(n: number): FullDataSet {
  const flags: Record<string, Flag> = {};
  const segments: Record<string, Segment> = {};
  for (let i = 0; i < n; i++) {
    const prereq = `chain-${i}-a-prerequisite`;
    const seg = `chain-${i}-segment`;
    const dependent = `chain-${i}-b-dependent`;
    flags[prereq] = {
      key: prereq,
      version: 1,
      on: true,
      variations: [true, false],
      fallthrough: { variation: 0 },
      offVariation: 1,
      salt: 's',
      prerequisites: [],
      targets: [],
      rules: [],
    };
    segments[seg] = { key: seg, version: 1, included: ['user-1', 'user-2'], excluded: [], rules: [], salt: 's' };
    flags[dependent] = {
      key: dependent,
      version: 1,
      on: true,
      variations: ['in-segment', 'default', 'off'],
      prerequisites: [{ key: prereq, variation: 0 }],
      rules: [
        { id: `r${i}`, variation: 0, clauses: [{ contextKind: 'user', attribute: '', op: 'segmentMatch', values: [seg], negate: false }] },
      ],
      fallthrough: { variation: 1 },
      offVariation: 2,
      salt: 's',
      targets: [],
    };
  }
  return { flags, segments };
}

beforeAll(async () => {
  client = localClient();
  proxy = await startFaultProxy({ target: localClientConfig().endpoint });
  base = generateEnvironment({ flags: 300, segments: 15, seed: 91 });
  const extra = chains(CHAINS);
  withChains = { flags: { ...base.flags, ...extra.flags }, segments: { ...base.segments, ...extra.segments } };
});
afterAll(async () => {
  await proxy?.close();
  client?.destroy();
});

interface Op {
  type: 'put' | 'delete';
  namespace: string;
  key: string;
  item?: Record<string, unknown>;
}

/** The puts and deletes a write request carries. */
function opsOf(request: ProxiedRequest): Op[] {
  const b = request.body as Record<string, any>;
  const put = (p: any): Op => ({
    type: 'put',
    namespace: p.Item.namespace.S,
    key: p.Item.key.S,
    item: p.Item.item?.S ? JSON.parse(p.Item.item.S) : undefined,
  });
  const del = (d: any): Op => ({ type: 'delete', namespace: d.Key.namespace.S, key: d.Key.key.S });
  switch (request.operation) {
    case 'PutItem':
      return [put(b)];
    case 'DeleteItem':
      return [del(b)];
    case 'TransactWriteItems':
      return (b.TransactItems as any[]).flatMap((t) => (t.Put ? [put(t.Put)] : t.Delete ? [del(t.Delete)] : []));
    case 'BatchExecuteStatement':
      return (b.Statements as PartiqlStatement[]).map((st) => put({ Item: statementItem(st) }));
    default:
      return [];
  }
}

async function live(tableName: string, namespace: string, key: string): Promise<boolean> {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { namespace: { S: namespace }, key: { S: key } }, ConsistentRead: true }),
  );
  const json = out.Item?.item?.S;
  return json !== undefined && !(JSON.parse(json) as { deleted?: boolean }).deleted;
}

/** Syncs `data` through the proxy, checking each write request against the table as it stands at that moment. */
async function checkedSync(tableName: string, data: FullDataSet, previous: FullDataSet) {
  const features = namespaceFor(undefined, 'features');
  const segments = namespaceFor(undefined, 'segments');
  // Who names each flag as a prerequisite, in either data set.
  const dependents = new Map<string, Set<string>>();
  for (const set of [previous, data]) {
    for (const f of Object.values(set.flags))
      for (const p of prerequisiteKeys(f)) (dependents.get(p) ?? dependents.set(p, new Set()).get(p)!).add(f.key);
  }
  const violations: string[] = [];
  let checks = 0;
  proxy.setHook(async (request) => {
    if (!request.write) return;
    const ops = opsOf(request);
    const inRequest = new Set(ops.filter((o) => o.type === 'put').map((o) => `${o.namespace}/${o.key}`));
    const deletedInRequest = new Set(ops.filter((o) => o.type === 'delete').map((o) => `${o.namespace}/${o.key}`));
    for (const op of ops) {
      if (op.namespace === features && op.type === 'put' && op.item && !op.item.deleted) {
        for (const p of prerequisiteKeys(op.item)) {
          checks++;
          if (!inRequest.has(`${features}/${p}`) && !(await live(tableName, features, p)))
            violations.push(`flag ${op.key} written before its prerequisite ${p}`);
        }
        for (const s of segmentKeys(op.item)) {
          checks++;
          if (!inRequest.has(`${segments}/${s}`) && !(await live(tableName, segments, s)))
            violations.push(`flag ${op.key} written before its segment ${s}`);
        }
      }
      if (op.namespace === features && op.type === 'delete') {
        for (const d of dependents.get(op.key) ?? []) {
          checks++;
          if (d in data.flags) continue; // it stays, and then does not name this flag any more, or the data set is wrong
          if (!deletedInRequest.has(`${features}/${d}`) && (await live(tableName, features, d)))
            violations.push(`prerequisite ${op.key} deleted while ${d}, which needs it, is still live`);
        }
      }
    }
  });
  const store = new DynamoDBFlagStore({ tableName, clientConfig: localClientConfig(proxy.endpoint) });
  try {
    await store.init(data);
  } finally {
    proxy.setHook(undefined);
    store.close();
  }
  return { violations, checks, end: compareWith(await readTable(client, tableName), data) };
}

describe('write order during a sync', () => {
  it(`creating ${CHAINS} prerequisite → dependent → segment chains: no flag is written before what it points at`, async ({ task }) => {
    const tableName = await freshTable(client, 'order');
    const direct = new DynamoDBFlagStore({ tableName, client });
    await direct.init(base);
    direct.close();
    const { violations, checks, end } = await checkedSync(tableName, withChains, base);
    record(task, {
      area: AREA,
      name: `write order: ${CHAINS} chains created (checked per request)`,
      injected: CHAINS,
      checked: checks,
      lost: end.missing.length,
      rolledBack: 0,
      note: `${violations.length} dangling references seen`,
    });
    expect(checks).toBeGreaterThanOrEqual(CHAINS * 2);
    expect(violations).toEqual([]);
    expect(describeProblems(end)).toBe('none');
  });

  // Deletions run dependents first, the reverse of the creation order: a reader between two deletions sees
  // either the whole chain or the flag gone, never a dependent whose prerequisite is missing (which would
  // evaluate to its off variation: neither the old result nor the new one).
  it(`deleting the ${CHAINS} chains: no prerequisite is deleted while a flag that needs it is live`, async ({ task }) => {
    const tableName = await freshTable(client, 'order');
    const direct = new DynamoDBFlagStore({ tableName, client });
    await direct.init(withChains);
    direct.close();
    const { violations, checks, end } = await checkedSync(tableName, base, withChains);
    record(task, {
      area: AREA,
      name: `write order: ${CHAINS} chains deleted (checked per request)`,
      injected: CHAINS,
      checked: checks,
      lost: end.missing.length,
      rolledBack: 0,
      note: `${violations.length} prerequisites deleted before their dependents`,
    });
    expect(describeProblems(end)).toBe('none');
    expect(violations).toEqual([]);
  });
});
