// Runs one cold-path scenario in a fresh Node process: imports a bundled consumer Lambda (ours or
// LaunchDarkly's, built by bench/cases/bundle.ts), evaluates, and prints one JSON line of timestamps (epoch
// ms) for the parent, which holds the counting proxy and matches its request log against them.
// Plain JavaScript on purpose: nothing but Node itself runs before the bundle.
const startedAt = performance.timeOrigin + performance.now();
const now = () => performance.timeOrigin + performance.now();

const spec = JSON.parse(process.argv[2]);
const mod = await import(spec.bundle);
const api = typeof mod.handler === 'function' ? mod : mod.default;
const importedAt = now();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const importedCpuMs = cpuMs();
const { client, handler } = api;
const out = { startedAt, timeOrigin: performance.timeOrigin, initStartedAt: api.initStartedAt, importedAt, importedCpuMs };

const evaluateSequentially = async (flags) => {
  await client.waitForInitialization();
  const values = {};
  for (const key of flags) values[key] = await client.variation(key, spec.context, null);
  return values;
};

switch (spec.scenario) {
  case 'one':
  case 'five-concurrent':
    out.values = await handler({ flags: spec.flags, context: spec.context });
    out.firstAt = now();
    await handler({ flags: spec.flags, context: spec.context });
    out.secondAt = now();
    break;
  case 'five-sequential':
    out.values = await evaluateSequentially(spec.flags);
    out.firstAt = now();
    await evaluateSequentially(spec.flags);
    out.secondAt = now();
    break;
  case 'first-then-five':
    // A Lambda's code asks for flags one at a time: the first variation, then five more, one after another.
    await client.waitForInitialization();
    out.values = { [spec.flags[0]]: await client.variation(spec.flags[0], spec.context, null) };
    out.firstAt = now();
    out.firstCpuMs = cpuMs();
    for (const key of spec.flags.slice(1)) out.values[key] = await client.variation(key, spec.context, null);
    out.fiveAt = now();
    await evaluateSequentially(spec.flags);
    out.secondAt = now();
    break;
  case 'load':
    // The floor: the LaunchDarkly SDK alone, loaded and initialised in daemon mode with its in-memory store.
    await client.waitForInitialization();
    out.values = {};
    out.firstAt = now();
    out.firstCpuMs = cpuMs();
    out.secondAt = out.firstAt;
    break;
  case 'all': {
    await client.waitForInitialization();
    const state = await client.allFlagsState(spec.context);
    out.firstAt = now();
    const values = state.allValues();
    out.allCount = Object.keys(values).length;
    out.values = Object.fromEntries(spec.flags.map((key) => [key, values[key] ?? null]));
    await client.allFlagsState(spec.context);
    out.secondAt = now();
    break;
  }
  default:
    throw new Error(`unknown scenario ${spec.scenario}`);
}

if (spec.warm > 0) {
  // Warm evaluations: the flags are cached now; one after another, as a handler's code would make them.
  const contexts = spec.contexts;
  const started = now();
  for (let i = 0; i < spec.warm; i++) await client.variation(spec.flags[i % spec.flags.length], contexts[i % contexts.length], null);
  out.warm = { count: spec.warm, ms: now() - started };
}
out.endedAt = now();
client.close();
process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
