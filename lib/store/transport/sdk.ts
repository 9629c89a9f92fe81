// The transport over an AWS SDK v3 DynamoDB client: for users who pass their own client (it keeps its
// middleware, credentials and retry policy) or a clientConfig the lean transport does not implement.
// @aws-sdk/client-dynamodb is imported on first use only, so consumers on the lean transport never load it.
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { BatchGetOutput, QueryInput, QueryOutput, ReadTransport, Row } from './transport.js';

type Sdk = typeof import('@aws-sdk/client-dynamodb');

export class SdkTransport implements ReadTransport {
  readonly kind = 'sdk';
  private sdk: Promise<Sdk> | undefined;
  private client: DynamoDBClient | undefined;
  private closed = false;

  /** `source` is the caller's client (never destroyed here) or the configuration of one to build (destroyed on close). */
  constructor(
    private readonly source: DynamoDBClient | DynamoDBClientConfig,
    private readonly owns: boolean,
  ) {
    if (!owns) this.client = source as DynamoDBClient;
  }

  private async load(): Promise<{ sdk: Sdk; client: DynamoDBClient }> {
    this.sdk ??= import('@aws-sdk/client-dynamodb');
    const sdk = await this.sdk;
    if (this.closed) throw new Error('the store is closed');
    this.client ??= new sdk.DynamoDBClient(this.source as DynamoDBClientConfig);
    return { sdk, client: this.client };
  }

  async getItem(table: string, key: Row, consistentRead?: boolean): Promise<Row | undefined> {
    const { sdk, client } = await this.load();
    const out = await client.send(new sdk.GetItemCommand({ TableName: table, Key: key as never, ConsistentRead: consistentRead }));
    return out.Item as Row | undefined;
  }

  async batchGet(table: string, keys: Row[], consistentRead?: boolean): Promise<BatchGetOutput> {
    const { sdk, client } = await this.load();
    const out = await client.send(
      new sdk.BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys as never, ConsistentRead: consistentRead } } }),
    );
    return { rows: (out.Responses?.[table] ?? []) as Row[], unprocessed: (out.UnprocessedKeys?.[table]?.Keys ?? []) as Row[] };
  }

  async query(input: QueryInput, signal?: AbortSignal): Promise<QueryOutput> {
    const { sdk, client } = await this.load();
    const out = await client.send(new sdk.QueryCommand(input as never), { abortSignal: signal });
    return { Items: (out.Items ?? []) as Row[], LastEvaluatedKey: out.LastEvaluatedKey as Row | undefined };
  }

  close(): void {
    this.closed = true;
    if (this.owns) this.client?.destroy();
  }
}
