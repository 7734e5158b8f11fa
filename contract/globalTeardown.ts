// jest globalTeardown of the contract suite: stops the bridge that globalSetup started (it runs in
// the same process, so the stop function is still there).
export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as { spacetimeBridgeStop?: () => Promise<void> }).spacetimeBridgeStop;
  if (stop) {
    await stop();
  }
}
