// The help texts of the CLI's commands, kept apart from the commands so that `--help` and the top-level
// dispatcher load nothing else.
import { DEFAULT_BASE_URI, DEFAULT_STREAM_URI } from '../launchdarkly/service-uri.js';

export const SYNC_HELP = `Usage: ld-dynamodb-sync sync --source poll|stream|file --table NAME [options]

Syncs flags and segments into a DynamoDB table in LaunchDarkly's persistent-store layout, and prints
what was written, left unchanged and deleted.

Sources:
  poll      one request to LaunchDarkly's /sdk/latest-all (needs LD_SDK_KEY)
  stream    holds LaunchDarkly's streaming connection, applying put/patch/delete as they arrive, until
            --duration runs out or Ctrl-C / SIGTERM (writes in flight are flushed first; needs LD_SDK_KEY)
  file      a JSON file in the latest-all shape ({"flags": {...}, "segments": {...}}), e.g. examples/environment.json

Options:
  --source SOURCE            poll, stream or file (required)
  --table NAME               DynamoDB table (required)
  --prefix P                 key prefix of this environment in the table (default: none)
  --file PATH                the data file (required with --source file)
  --duration SECONDS         stream only: end the session after this long (default: until interrupted)
  --dynamodb-endpoint URL    e.g. http://localhost:8000 for DynamoDB Local (region us-east-1 and dummy
                             credentials unless AWS credentials are configured)
  --region REGION            AWS region (default: AWS_REGION or your AWS configuration)
  --create-table             create the table if it does not exist
  --base-uri URL             LaunchDarkly polling base URI, used by --source poll (default: LD_BASE_URI or ${DEFAULT_BASE_URI})
  --stream-uri URL           LaunchDarkly streaming base URI, used by --source stream (default: LD_STREAM_URI or ${DEFAULT_STREAM_URI})
  --progress SECONDS         print progress to stderr every SECONDS (default: a live line on a terminal only)
  --json                     print the summary as JSON
  --verbose                  log details to stderr
  -h, --help                 show this help

Environment:
  LD_SDK_KEY                 the environment's server-side SDK key (poll and stream); never printed
  LD_BASE_URI, LD_STREAM_URI defaults for --base-uri and --stream-uri
  AWS_REGION, AWS_PROFILE, … the usual AWS configuration

Examples:
  LD_SDK_KEY=sdk-… ld-dynamodb-sync sync --source poll --table ld-flags --prefix production
  LD_SDK_KEY=sdk-… ld-dynamodb-sync sync --source stream --table ld-flags --duration 600
  ld-dynamodb-sync sync --source file --file examples/environment.json --table flags \\
      --dynamodb-endpoint http://localhost:8000 --create-table
`;

export const STATUS_HELP = `Usage: ld-dynamodb-sync status --table NAME [options]

Shows whether the table holds a complete data set for the environment, how many flags and segments it
has, and when and from which source (poll, stream, webhook, file) it was last synced.

Options:
  --table NAME               DynamoDB table (required)
  --prefix P                 key prefix of the environment (default: none)
  --dynamodb-endpoint URL    e.g. http://localhost:8000 for DynamoDB Local
  --region REGION            AWS region (default: AWS_REGION or your AWS configuration)
  --json                     print the status as JSON
  -h, --help                 show this help

Examples:
  ld-dynamodb-sync status --table ld-flags --prefix production
  ld-dynamodb-sync status --table flags --dynamodb-endpoint http://localhost:8000 --json
`;
