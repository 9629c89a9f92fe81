// Helpers for tests: a DynamoDB client pointed at the shared DynamoDB Local, and a fresh table per test.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createFlagTable } from '../../lib/store/table.js';

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function dynamoEndpoint(): string {
  return inject('dynamoEndpoint');
}

export function localClientConfig(endpoint = dynamoEndpoint()) {
  return { endpoint, region: 'us-east-1', credentials: localCredentials };
}

export function localClient(endpoint = dynamoEndpoint()): DynamoDBClient {
  return new DynamoDBClient(localClientConfig(endpoint));
}

/** Creates a table with LaunchDarkly's key schema and a unique name, and returns its name. */
export async function freshTable(client: DynamoDBClient, hint = 'flags'): Promise<string> {
  const name = `${hint}-${randomUUID().slice(0, 8)}`;
  await createFlagTable(client, name);
  return name;
}
