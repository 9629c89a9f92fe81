// The shapes a benchmark run produces (bench/index.ts runs it, bench/run.ts prints and saves it): per size the
// raw runs of each case, and the figures, correctness checks and targets derived from them.
import type { Bundles } from '../cases/bundle.js';
import type { ConsumerRun, Scenario } from '../cases/consumer.js';
import type { InitCaseResult, LimitsCaseResult } from '../cases/init.js';
import type { LambdaSizesResult } from '../cases/lambda-sizes.js';
import type { StreamRun } from '../cases/stream.js';
import type { Impl } from '../workers/init-worker.js';
import type { BenchConfig } from './config.js';
import type { Figure } from './report.js';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Target {
  name: string;
  /** null when the run did not measure it (e.g. a size left out). */
  met: boolean | null;
  detail: string;
}

export type ConsumerRuns = Partial<Record<Scenario, Partial<Record<Impl, ConsumerRun[]>>>>;

export interface SizeResult {
  size: number;
  /** Stored bytes of the flags namespace (as the writer sizes items): over one 1 MB Query page or not. */
  flagBytes: number;
  impls: Impl[];
  init: InitCaseResult;
  consumer: ConsumerRuns;
  /** The 5-flag concurrent cold path with packages loaded from node_modules instead of the bundle. */
  consumerNodeModules: Partial<Record<Impl, ConsumerRun[]>>;
  stream: Partial<Record<Impl, StreamRun>>;
}

export interface BenchResults {
  config: BenchConfig;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string };
  startedAt: string;
  durationMs: number;
  figures: Figure[];
  correctness: Check[];
  targets: Target[];
  bundles: Bundles['bundled'];
  sizes: SizeResult[];
  /** Cold start under Lambda's CPU share per memory size (run at the first size both stores run). */
  lambdaSizes?: LambdaSizesResult;
  /** Full init and 1% re-sync of both stores under the service-limits model. */
  limits: LimitsCaseResult[];
}

export interface RunOptions {
  /** DynamoDB Local's endpoint; the proxy forwards to it. */
  dynamoEndpoint: string;
  repoRoot: string;
  log?: (line: string) => void;
}
