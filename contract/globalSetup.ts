// jest globalSetup of the contract suite: starts the bridge once for every test file. The second
// Spacetime data source ("other") stands for one a user adds in Grafana's UI, with a uid the
// dashboards do not know (issue 10, defect 5).
import { READY_ENV, startBridge, writeReady } from './harness/bridge';

export const EXTRA_UID = 'added-in-the-ui';

export default async function globalSetup(): Promise<void> {
  const bridge = await startBridge({ extra: [EXTRA_UID] });
  process.env[READY_ENV] = writeReady(bridge.ready);
  (globalThis as { spacetimeBridgeStop?: () => Promise<void> }).spacetimeBridgeStop = bridge.stop;
}
