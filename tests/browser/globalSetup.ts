// jest globalSetup of the browser suite: starts the bridge to the real plugin binary once for
// every test file (contract/harness/bridge.ts, shared with the contract suite), on a smaller
// data set than the contract suite's: the pages draw at most a few hundred rows.
import { READY_ENV, startBridge, writeReady } from '../../contract/harness/bridge';

export default async function globalSetup(): Promise<void> {
  const bridge = await startBridge({ args: ['-tickets', '5000'] });
  process.env[READY_ENV] = writeReady(bridge.ready);
  (globalThis as { spacetimeBridgeStop?: () => Promise<void> }).spacetimeBridgeStop = bridge.stop;
}
