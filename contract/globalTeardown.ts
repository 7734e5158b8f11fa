// jest globalTeardown of the contract suite: stops the bridge that globalSetup started (it runs in
// the same process, so the stop function is still there) and removes the file that told the
// test files where it listened.
import { rmSync } from 'fs';
import path from 'path';

import { READY_ENV } from './harness/bridge';

export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as { spacetimeBridgeStop?: () => Promise<void> }).spacetimeBridgeStop;
  if (stop) {
    await stop();
  }
  const ready = process.env[READY_ENV];
  if (ready) {
    rmSync(path.dirname(ready), { recursive: true, force: true });
  }
}
