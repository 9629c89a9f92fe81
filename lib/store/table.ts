// Creates a table with LaunchDarkly's key schema. LaunchDarkly's SDKs never create their table; we do it for
// local runs, the CLI and tests. Production tables come from the CDK stack.
import { sleep } from '../util/sleep.js';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export async function createFlagTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'exists'> {
  let result: 'created' | 'exists' = 'created';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'namespace', KeyType: 'HASH' },
          { AttributeName: 'key', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'namespace', AttributeType: 'S' },
          { AttributeName: 'key', AttributeType: 'S' },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    result = 'exists';
  }
  for (let i = 0; i < 120; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return result;
    await sleep(500);
  }
  throw new Error(`Table ${tableName} did not become ACTIVE within 60 s`);
}
