// Vitest global set-up: one DynamoDB Local for the whole run, shared by every test file through `inject`.
// Each test creates its own table (see test/support/tables.ts), so files can run in parallel.
import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal, type DynamoDBLocal } from '../../lib/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let ddb: DynamoDBLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  ddb = await startDynamoDBLocal();
  project.provide('dynamoEndpoint', ddb.endpoint);
}

export async function teardown(): Promise<void> {
  await ddb?.stop();
}
