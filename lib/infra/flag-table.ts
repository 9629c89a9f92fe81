// FlagTable: the DynamoDB table holding LaunchDarkly flags in LaunchDarkly's own persistent-store layout, and the
// two grants anyone may get on it: read (consumers) and sync-write (the sync functions). The grants list the exact
// actions each side's code makes, on this table's ARNs only; no `grantReadWriteData`, which would add Scan,
// BatchWriteItem, UpdateItem and friends that nothing here uses.
//
// Per environment: every sync-write grant, and a read grant given a prefix, carries a `dynamodb:LeadingKeys`
// condition limiting the partition keys (namespaces) the caller may touch to its environments' own:
// - a prefixed environment owns every namespace starting "<prefix>:" (prefixes cannot hold ':', so one
//   environment's pattern never matches another's namespaces);
// - the unprefixed environment owns exactly the unprefixed namespaces of the layout, UNPREFIXED_NAMESPACES below
//   (LaunchDarkly's features, segments, $inited and big segments, and our $syncStatus, $readHints and $fullSync), so it
//   cannot write "<prefix>:…" rows of another environment either.
// The writer sends conditional PutItem/DeleteItem requests, and PartiQL batches of conditional INSERTs and
// UPDATEs (lib/store/batch-writes.ts), which IAM authorises statement by statement as PartiQLInsert and
// PartiQLUpdate. Those two are granted under the same LeadingKeys rule plus a `Null` test that the key is
// present: ForAllValues passes a request that carries no partition key at all, so if a PartiQL request ever
// reached IAM without one it is refused (the writer then writes each item singly), never let through.
//
// Consumer stacks reach the table through `FlagTable.fromTableName` / `fromExport` / `fromParameter` and call
// `grantReadFlags(fn)`: they never need the sync stack's constructs.
import { ArnFormat, CfnOutput, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct, type IConstruct } from 'constructs';
import { KEY_PREFIX } from '../config/environment-list.js';

/** The actions ReadOnlyFeatureStore (lib/store/reader.ts) makes: batched gets, and a query per namespace. */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/** The actions DynamoDBFlagStore (lib/store/writer.ts) makes: diffing reads and version-guarded writes. */
export const SYNC_WRITE_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] as const;
/** The PartiQL actions of the writer's batches (lib/store/batch-writes.ts): granted only with a partition key present. */
export const SYNC_BATCH_ACTIONS = ['dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate'] as const;

/**
 * Every namespace (partition key) of the unprefixed environment: LaunchDarkly's data kinds and marker
 * (lib/store/layout.ts), our sync-status row (sync-status.ts), read hints (read-hints.ts) and snapshot claim
 * (snapshot-claim.ts), and LaunchDarkly's Big
 * Segments rows. A prefixed environment has the same names behind "<prefix>:". A test writes through the real
 * writer and checks every row it creates falls under these.
 */
export const UNPREFIXED_NAMESPACES = [
  'features',
  'segments',
  '$inited',
  '$syncStatus',
  '$readHints',
  '$fullSync',
  'big_segments_metadata',
  'big_segments_user',
] as const;

/** Whose rows a grant covers: environments by key prefix; `undefined` is the unprefixed environment. */
export interface EnvironmentScope {
  /** The environments' key prefixes (undefined for the unprefixed one). At least one. */
  readonly prefixes: readonly (string | undefined)[];
}

/** Options of `grantReadFlags`. */
export interface GrantReadFlagsOptions {
  /**
   * Read one environment only: the one with this key prefix (`<prefix>:*` namespaces, its Big Segments rows
   * included). @default - every environment in the table
   */
  readonly prefix?: string;
}

// With a customer-managed key, reading and writing items uses the key on the caller's behalf. Named actions
// rather than the key's grantEncryptDecrypt, whose ReEncrypt* and GenerateDataKey* wildcards DynamoDB never needs.
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** A flag table, owned by this stack or imported into a consumer stack. */
export interface IFlagTable extends IConstruct {
  readonly tableName: string;
  /** The table's ARN in the region of the stack it belongs to. */
  readonly tableArn: string;
  /** Read access for ReadOnlyFeatureStore: GetItem, BatchGetItem and Query on this table only (one environment's rows with `prefix`). */
  grantReadFlags(grantee: IGrantable, options?: GrantReadFlagsOptions): Grant;
}

export interface FlagTableProps {
  /** @default - generated by CloudFormation */
  readonly tableName?: string;
  /** Regions holding replicas (a global table). @default - none */
  readonly replicaRegions?: readonly string[];
  /**
   * 'aws-managed' uses the `aws/dynamodb` key (no key policy to manage; consumers need no KMS permission);
   * 'customer-managed' creates a KMS key with yearly rotation, which consumers are granted decrypt on.
   * @default 'aws-managed'
   */
  readonly encryption?: 'aws-managed' | 'customer-managed';
  /** With 'customer-managed' and replicas: a KMS key ARN per replica region. @default {} */
  readonly replicaKeyArns?: Readonly<Record<string, string>>;
  /** SSM parameter receiving the table name. @default `/<stack name>/flag-table-name` */
  readonly parameterName?: string;
  /** Name of the CloudFormation export of the table name. @default `<stack name>-FlagTableName` */
  readonly exportName?: string;
}

export interface ImportFlagTableOptions {
  /** The table's KMS key, when it is customer-managed: readers are granted decrypt on it. @default - aws-managed key */
  readonly encryptionKey?: IKey;
}

/**
 * The flag table: partition key `namespace`, sort key `key` (LaunchDarkly's layout), on-demand billing,
 * point-in-time recovery, encryption at rest, deletion protection, retained when the stack is deleted.
 */
export class FlagTable extends Construct implements IFlagTable {
  /** A table named directly, e.g. in another region of a global table (each region reads its local replica). */
  static fromTableName(scope: Construct, id: string, tableName: string, options: ImportFlagTableOptions = {}): IFlagTable {
    return new ImportedFlagTable(scope, id, tableName, options);
  }

  /** A table whose name the sync stack exports (same account and region; creates a stack dependency). */
  static fromExport(scope: Construct, id: string, exportName: string, options: ImportFlagTableOptions = {}): IFlagTable {
    return new ImportedFlagTable(scope, id, Fn.importValue(exportName), options);
  }

  /** A table whose name is held in an SSM parameter (resolved at deploy time; no hard stack dependency). */
  static fromParameter(scope: Construct, id: string, parameterName: string, options: ImportFlagTableOptions = {}): IFlagTable {
    return new ImportedFlagTable(scope, id, StringParameter.valueForStringParameter(scope, parameterName), options);
  }

  readonly table: TableV2;
  readonly tableName: string;
  readonly tableArn: string;
  /** The customer-managed key, when there is one. */
  readonly encryptionKey?: IKey;
  readonly tableNameParameter: StringParameter;
  readonly exportName: string;
  private readonly replicaRegions: readonly string[];

  constructor(scope: Construct, id: string, props: FlagTableProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.replicaRegions = props.replicaRegions ?? [];

    let encryption = TableEncryptionV2.awsManagedKey();
    if (props.encryption === 'customer-managed') {
      const key = new Key(this, 'Key', {
        description: `Encrypts the LaunchDarkly flag table of ${stack.stackName}`,
        enableKeyRotation: true,
        // The key outlives the stack with the table it encrypts: a retained table with a deleted key is unreadable.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.encryptionKey = key;
      encryption = TableEncryptionV2.customerManagedKey(key, { ...props.replicaKeyArns });
    }

    this.table = new TableV2(this, 'Table', {
      ...(props.tableName !== undefined && { tableName: props.tableName }),
      partitionKey: { name: 'namespace', type: AttributeType.STRING },
      sortKey: { name: 'key', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: this.replicaRegions.map((region) => ({ region })),
    });
    this.tableName = this.table.tableName;
    this.tableArn = this.table.tableArn;

    this.tableNameParameter = new StringParameter(this, 'TableNameParameter', {
      parameterName: props.parameterName ?? `/${stack.stackName}/flag-table-name`,
      stringValue: this.table.tableName,
      description: 'Name of the DynamoDB table ld-dynamodb-sync keeps LaunchDarkly flags in (read it with ReadOnlyFeatureStore)',
    });
    this.exportName = props.exportName ?? `${stack.stackName}-FlagTableName`;
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      exportName: this.exportName,
      description: 'The flag table; consumer stacks use FlagTable.fromExport or the SSM parameter',
    });
  }

  /**
   * Read access for ReadOnlyFeatureStore, on the table in every region it lives in (primary and replicas);
   * with `prefix`, on that environment's rows only.
   */
  grantReadFlags(grantee: IGrantable, options: GrantReadFlagsOptions = {}): Grant {
    return readGrant(grantee, this.allRegionArns(), options, this.encryptionKey);
  }

  /**
   * What a sync function needs, on the primary table only (replication carries writes to the replicas): the
   * writer's reads (Query, GetItem) and its version-guarded writes (PutItem, DeleteItem, and PartiQL's
   * INSERT and UPDATE in batches), on the rows of the environments in `scope` only.
   */
  grantSyncWrite(grantee: IGrantable, scope: EnvironmentScope): Grant {
    const rows = leadingKeysCondition(scope.prefixes);
    const grant = Grant.addToPrincipal({
      grantee,
      actions: [...SYNC_WRITE_ACTIONS],
      resourceArns: [this.tableArn],
      conditions: rows,
    }).combine(
      Grant.addToPrincipal({
        grantee,
        actions: [...SYNC_BATCH_ACTIONS],
        resourceArns: [this.tableArn],
        conditions: { ...rows, Null: { 'dynamodb:LeadingKeys': 'false' } },
      }),
    );
    this.encryptionKey?.grant(grantee, ...KEY_WRITE_ACTIONS);
    return grant;
  }

  private allRegionArns(): string[] {
    const stack = Stack.of(this);
    return [
      this.tableArn,
      ...this.replicaRegions.map((region) =>
        stack.formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: this.table.tableName }),
      ),
    ];
  }
}

/** A flag table created elsewhere: only its name is known; its ARN is built in the importing stack's region. */
class ImportedFlagTable extends Construct implements IFlagTable {
  readonly tableName: string;
  readonly tableArn: string;
  private readonly encryptionKey?: IKey;

  constructor(scope: Construct, id: string, tableName: string, options: ImportFlagTableOptions) {
    super(scope, id);
    this.tableName = tableName;
    this.tableArn = Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: tableName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    if (options.encryptionKey) this.encryptionKey = options.encryptionKey;
  }

  grantReadFlags(grantee: IGrantable, options: GrantReadFlagsOptions = {}): Grant {
    return readGrant(grantee, [this.tableArn], options, this.encryptionKey);
  }
}

function readGrant(grantee: IGrantable, resourceArns: string[], options: GrantReadFlagsOptions, key: IKey | undefined): Grant {
  if (options.prefix !== undefined && !KEY_PREFIX.test(options.prefix)) {
    throw new Error(
      `grantReadFlags: "prefix" must be a key prefix as the sync uses it (letters, digits, '.', '_' or ` +
        `'-', no ':'), got ${JSON.stringify(options.prefix)}`,
    );
  }
  const grant = Grant.addToPrincipal({
    grantee,
    actions: [...READ_ACTIONS],
    resourceArns,
    ...(options.prefix !== undefined && { conditions: leadingKeysCondition([options.prefix]) }),
  });
  key?.grant(grantee, ...KEY_READ_ACTIONS);
  return grant;
}

/**
 * The IAM condition allowing only the namespaces of these environments as partition keys. ForAllValues: every
 * key of a request (BatchGetItem carries several) must match; each granted action always names one, so the
 * empty-set case of ForAllValues never arises.
 */
export function leadingKeysCondition(prefixes: readonly (string | undefined)[]): Record<string, Record<string, string[]>> {
  if (prefixes.length === 0) throw new Error('leadingKeysCondition: at least one environment is needed');
  const patterns = prefixes.filter((p): p is string => p !== undefined).map((p) => `${p}:*`);
  const exact = prefixes.includes(undefined) ? [...UNPREFIXED_NAMESPACES] : [];
  // StringLike treats only '*' and '?' as wildcards; the unprefixed names hold neither, so one operator serves both.
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...exact, ...patterns] } };
}
