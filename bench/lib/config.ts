// What a benchmark run measures and how much: sizes, repetitions, patches, warm-loop length. The entry point
// (bench/run.ts) builds it from BENCH_* environment variables; the test builds a small one directly.

export interface BenchConfig {
  /** Environment sizes (flags) measured for both stores. */
  sizes: number[];
  /** Extra sizes measured for our store only (the peer's figures there are left out). */
  oursOnlySizes: number[];
  /** Sizes whose full init and 1% re-sync also run under the service-limits model (docs/service-limits.md), both stores. */
  limitsSizes: number[];
  /** Repetitions of each cheap measurement (medians are reported). */
  reps: number;
  /** Patches sent in the stream benchmark. */
  patches: number;
  /** Evaluations in the warm loop of the consumer benchmark. */
  warmEvaluations: number;
  /** Seed of the generated environment. */
  seed: number;
  /** A run longer than this (ms) is not repeated: its median is its single value. */
  expensiveMs: number;
  /** Lambda memory sizes (MB) whose CPU share the cold-start case caps a process to; empty skips the case. */
  lambdaMemoryMb: number[];
  /** Repetitions of each capped cold start. */
  lambdaReps: number;
  /** The environment size the Lambda-sizes case runs at (else the first size both stores run). */
  lambdaFlags: number;
}

export const defaultConfig: BenchConfig = {
  // 500 flags (0.7 MB) fit one Query page, 1,000 (1.4 MB) do not: the consumer's cold start differs.
  sizes: [500, 1000, 10000],
  oursOnlySizes: [50000],
  limitsSizes: [10000],
  reps: 3,
  patches: 1000,
  warmEvaluations: 50_000,
  seed: 1,
  expensiveMs: 8_000,
  lambdaMemoryMb: [128, 512, 1024],
  lambdaReps: 5,
  lambdaFlags: 1000,
};

/** The small configuration `BENCH_QUICK=1` and the test use: every figure, at a size that takes seconds. */
export const quickConfig: BenchConfig = {
  sizes: [200],
  oursOnlySizes: [],
  limitsSizes: [200],
  reps: 1,
  patches: 50,
  warmEvaluations: 2_000,
  seed: 1,
  expensiveMs: 8_000,
  lambdaMemoryMb: [],
  lambdaReps: 1,
  lambdaFlags: 200,
};

function list(name: string, value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(value)}`);
    return n;
  });
}

function int(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * BENCH_QUICK=1 starts from the quick configuration; BENCH_SIZES, BENCH_OURS_ONLY_SIZES, BENCH_LIMITS_SIZES,
 * BENCH_REPS, BENCH_PATCHES, BENCH_WARM_EVALS, BENCH_SEED, BENCH_LAMBDA_MB (e.g. "128,512,1024"), BENCH_LAMBDA_FLAGS and
 * BENCH_LAMBDA_REPS override single settings.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): BenchConfig {
  const config = { ...(env.BENCH_QUICK === '1' ? quickConfig : defaultConfig) };
  if (env.BENCH_SIZES !== undefined) config.sizes = list('BENCH_SIZES', env.BENCH_SIZES);
  if (env.BENCH_OURS_ONLY_SIZES !== undefined) config.oursOnlySizes = list('BENCH_OURS_ONLY_SIZES', env.BENCH_OURS_ONLY_SIZES);
  if (env.BENCH_LIMITS_SIZES !== undefined) config.limitsSizes = list('BENCH_LIMITS_SIZES', env.BENCH_LIMITS_SIZES);
  if (env.BENCH_REPS !== undefined) config.reps = int('BENCH_REPS', env.BENCH_REPS);
  if (env.BENCH_PATCHES !== undefined) config.patches = int('BENCH_PATCHES', env.BENCH_PATCHES);
  if (env.BENCH_WARM_EVALS !== undefined) config.warmEvaluations = int('BENCH_WARM_EVALS', env.BENCH_WARM_EVALS);
  if (env.BENCH_SEED !== undefined) config.seed = int('BENCH_SEED', env.BENCH_SEED);
  if (env.BENCH_LAMBDA_MB !== undefined) config.lambdaMemoryMb = list('BENCH_LAMBDA_MB', env.BENCH_LAMBDA_MB);
  if (env.BENCH_LAMBDA_REPS !== undefined) config.lambdaReps = int('BENCH_LAMBDA_REPS', env.BENCH_LAMBDA_REPS);
  if (env.BENCH_LAMBDA_FLAGS !== undefined) config.lambdaFlags = int('BENCH_LAMBDA_FLAGS', env.BENCH_LAMBDA_FLAGS);
  if (config.sizes.length === 0) throw new Error('BENCH_SIZES must name at least one size');
  return config;
}
