// Preloaded (node -r) into npm by scripts/check-platforms.ts: npm decides which packages fit the machine
// from process.platform and process.arch, so setting them here makes npm run its own platform check
// exactly as a machine of AS_PLATFORM ("darwin/arm64", "win32/x64", …) would.
const [platform, arch] = (process.env.AS_PLATFORM ?? '').split('/');
if (!platform || !arch) throw new Error(`AS_PLATFORM must be os/cpu, e.g. darwin/arm64; got '${process.env.AS_PLATFORM ?? ''}'`);
Object.defineProperty(process, 'platform', { value: platform });
Object.defineProperty(process, 'arch', { value: arch });
