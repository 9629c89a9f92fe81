// The CDK side of ld-dynamodb-sync: the stack users deploy, and FlagTable for consumer stacks (fromExport /
// fromParameter / fromTableName + grantReadFlags). Deploy-time only: runtime code never imports this folder.
export { createApp, DEFAULT_STACK_NAME, type CreateAppOptions } from './app.js';
export { EnvironmentAlarms, METRICS_NAMESPACE, SERVICE_NAME } from './alarms.js';
export {
  ConfigError,
  configFromContext,
  resolveConfig,
  type ConsumerExampleSettings,
  type EnvironmentSettings,
  type SyncStackConfig,
  type SyncStackConfigInput,
} from './config.js';
export { FlagTable, READ_ACTIONS, SYNC_WRITE_ACTIONS, type FlagTableProps, type IFlagTable, type ImportFlagTableOptions } from './flag-table.js';
export { LambdaFunction, RUNTIME, type LambdaFunctionProps } from './lambda-function.js';
export { LdDynamoDBSyncStack, STREAM_SESSION, type EnvironmentResources, type LdDynamoDBSyncStackProps } from './stack.js';
