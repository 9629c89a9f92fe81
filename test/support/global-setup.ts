// Vitest global set-up: one DynamoDB Local for the whole run, shared by every test file through `inject`.
// Each test creates its own table (see test/support/tables.ts), so files can run in parallel.
// The run also gets its own temporary directory, removed at the end, as the test processes' TMPDIR: what
// tests and the libraries under them leave there (the CDK's cdk.out directories of every App synthesized
// without an outdir, 10 MB with bundles) does not pile up in the machine's /tmp run after run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { JavaNotFoundError, startDynamoDBLocal, type DynamoDBLocal } from '../../lib/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let ddb: DynamoDBLocal | undefined;
let runTmp: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  runTmp = mkdtempSync(path.join(tmpdir(), 'ld-dynamodb-sync-tests-'));
  // os.tmpdir() reads TMPDIR on Linux and macOS, TEMP and TMP on Windows; test processes inherit them.
  for (const name of ['TMPDIR', 'TEMP', 'TMP']) process.env[name] = runTmp;
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
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
}
