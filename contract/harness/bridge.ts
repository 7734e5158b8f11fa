// Starts and stops the bridge (pkg/binaryhost/bridge): Grafana's HTTP API answered by the real
// plugin binary over gRPC. startBridge is all a test runner needs: jest's globalSetup calls
// it once (contract/globalSetup.ts), and any other tool (a browser test) can call it too.

import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';

/** The repository root, from this file's directory (contract/harness). */
export const REPO = path.resolve(__dirname, '..', '..');

/** A data source the bridge serves, as it prints it once it listens (Ready in main.go). */
export interface BridgeDatasource {
  id: number;
  uid: string;
  name: string;
  type: string;
  jsonData: Record<string, unknown>;
  /** False for a data source "added in the UI" (-extra), true for the provisioned ones. */
  provisioned: boolean;
  /** The generated data set, one ticket a JSON line. */
  tickets: string;
  dataset: {
    tickets: number;
    seed: number;
    end: string;
    span: string;
    outages: number;
    /** The outages the generator planned (gen.PlanOutages), oldest first: RFC 3339 times. */
    planned: Array<{ start: string; end: string; service: string; region: string }>;
  };
}

export interface BridgeReady {
  /** Where Grafana's API is served, such as http://127.0.0.1:40123. */
  url: string;
  datasources: BridgeDatasource[];
}

export interface BridgeOptions {
  /** Uids of more Spacetime data sources with the provisioned settings and data sets of their own. */
  extra?: string[];
  /** Flags for the bridge (see `go run ./pkg/binaryhost/bridge -h`). */
  args?: string[];
  /** How long building the plugin and generating the data may take (ms). */
  timeoutMs?: number;
}

export interface Bridge {
  ready: BridgeReady;
  stop: () => Promise<void>;
}

/**
 * startBridge builds and starts the bridge with `go run`, which builds the plugin binary and
 * generates the data sets, and resolves once it listens. The bridge exits when its stdin closes,
 * so it does not outlive this process even when stop is never called.
 */
export function startBridge(opts: BridgeOptions = {}): Promise<Bridge> {
  const dir = mkdtempSync(path.join(tmpdir(), 'spacetime-contract-'));
  const args = ['run', './pkg/binaryhost/bridge', '-dir', dir, ...(opts.args ?? [])];
  for (const uid of opts.extra ?? []) {
    args.push('-extra', uid);
  }
  const child = spawn('go', args, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  // The bridge's stderr (the build, the plugin's log) is shown while it starts, then kept
  // quiet: a test of a bad query makes the plugin log an error on purpose. Set
  // SPACETIME_BRIDGE_LOG=1 to see everything.
  let stderr = '';
  let started = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20000);
    if (!started || process.env.SPACETIME_BRIDGE_LOG) {
      process.stderr.write(chunk);
    }
  });
  return new Promise<Bridge>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the bridge did not start within ${opts.timeoutMs ?? 300000} ms:\n${stderr}`));
    }, opts.timeoutMs ?? 300000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) {
        return;
      }
      clearTimeout(timer);
      started = true;
      try {
        const ready = JSON.parse(out.slice(0, nl)) as BridgeReady;
        resolve({ ready, stop: () => stopChild(child, dir) });
      } catch (err) {
        reject(new Error(`the bridge printed ${out.slice(0, nl)}: ${String(err)}`));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bridge exited with ${code} before it listened:\n${stderr}`));
    });
  });
}

function stopChild(child: ChildProcess, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null) {
      done();
      return;
    }
    child.on('exit', done);
    // Closing stdin is how the bridge is told to stop: it then stops the plugin as Grafana does.
    child.stdin?.end();
  });
}

/** The environment variable that carries the bridge's Ready file from globalSetup to the tests. */
export const READY_ENV = 'SPACETIME_BRIDGE_READY';

/** writeReady stores what the bridge printed where the test files (other processes) read it. */
export function writeReady(ready: BridgeReady): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'spacetime-bridge-ready-')), 'ready.json');
  writeFileSync(file, JSON.stringify(ready));
  return file;
}

/** readReady is what a test file calls to find the bridge that globalSetup started. */
export function readReady(): BridgeReady {
  const file = process.env[READY_ENV];
  if (!file) {
    throw new Error(`${READY_ENV} is not set: run the contract suite with its jest config (contract/jest.config.js)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as BridgeReady;
}
