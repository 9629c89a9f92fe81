// DynamoDB Local for tests and benchmarks. The helper lives in lib/local (npm start uses it too); this module
// keeps the test-side import path stable.
export { startDynamoDBLocal, freePort, type DynamoDBLocal } from '../../lib/local/dynamodb-local.js';
