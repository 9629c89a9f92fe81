// Records the DynamoDB writes a store sends, in order, with the keys they touch: for tests of the order in
// which the writer puts and deletes items (a prerequisite before its dependents, the marker last). Recording,
// not mocking: the requests still reach DynamoDB Local.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { statementRow, type PartiqlStatement } from './partiql.js';

/** Records the DynamoDB operations a store sends, in order, with the keys they touch. */
export function recordWrites(c: DynamoDBClient): { op: string; keys: string[] }[] {
  const log: { op: string; keys: string[] }[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, any>;
      const op = (context.commandName ?? '').replace(/Command$/, '');
      const keyOf = (x: any) => x?.Item?.key?.S ?? x?.Key?.key?.S;
      if (op === 'TransactWriteItems') log.push({ op, keys: input.TransactItems.map((t: any) => keyOf(t.Put ?? t.Delete)) });
      else if (op === 'PutItem' || op === 'DeleteItem') log.push({ op, keys: [keyOf(input)] });
      else if (op === 'BatchExecuteStatement') log.push({ op, keys: input.Statements.map((st: PartiqlStatement) => statementRow(st).key) });
      return next(args);
    },
    { step: 'initialize', name: `record-${Math.random()}` },
  );
  return log;
}
