// Vitest global set-up: one DynamoDB Local for the whole run, shared by every test file through `inject`.
// Each test creates its own table (see test/support/tables.ts), so files can run in parallel.
import type { TestProject } from 'vitest/node';
import { JavaNotFoundError, startDynamoDBLocal, type DynamoDBLocal } from '../../lib/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let ddb: DynamoDBLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  try {
    ddb = await startDynamoDBLocal();
  } catch (err) {
    if (!(err instanceof JavaNotFoundError)) throw err;
    // What to do, not where in our code it was noticed: a stack trace here only hides the install hint.
    const clear = new Error(`The tests need DynamoDB Local. ${err.message}.`);
    clear.stack = clear.message;
    throw clear;
  }
  project.provide('dynamoEndpoint', ddb.endpoint);
}

export async function teardown(): Promise<void> {
  await ddb?.stop();
}
