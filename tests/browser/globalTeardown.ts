// jest globalTeardown of the browser suite: stops the bridge globalSetup started (same process).
export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as { spacetimeBridgeStop?: () => Promise<void> }).spacetimeBridgeStop;
  if (stop) {
    await stop();
  }
}
