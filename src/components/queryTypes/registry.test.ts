import fs from 'fs';
import path from 'path';

import { QUERY_TYPES, TicketsQuery } from '../../types';
import { DEFAULT_QUERY_TYPE, QUERY_TYPE_REGISTRY, queryTypeDefinition, queryTypeDefinitions } from './registry';
import { DEFAULT_SPIKE_BASELINE, DEFAULT_SPIKE_WINDOW } from './SpikeEditor';

const q = (patch: Partial<TicketsQuery>): TicketsQuery => ({ refId: 'A', ...patch });

describe('QUERY_TYPE_REGISTRY', () => {
  it('has one entry per query type, named as its key, in the backend order', () => {
    expect(Object.keys(QUERY_TYPE_REGISTRY).sort()).toEqual([...QUERY_TYPES].sort());
    expect(queryTypeDefinitions().map((d) => d.type)).toEqual([...QUERY_TYPES]);
    for (const [key, def] of Object.entries(QUERY_TYPE_REGISTRY)) {
      expect(def.type).toBe(key);
    }
  });

  it('gives every type its own label, a description and its own editor', () => {
    const defs = queryTypeDefinitions();
    expect(new Set(defs.map((d) => d.label)).size).toBe(defs.length);
    expect(new Set(defs.map((d) => d.Editor)).size).toBe(defs.length);
    for (const d of defs) {
      expect(d.description.length).toBeGreaterThan(20);
      expect(typeof d.Editor).toBe('function');
    }
  });

  it('marks counts and spike as the time series an alert rule can read, and no other', () => {
    expect(
      queryTypeDefinitions()
        .filter((d) => d.timeSeries)
        .map((d) => d.type)
    ).toEqual(['counts', 'spike']);
  });

  it("lists the backend's spike defaults, which the editor shows", () => {
    expect(QUERY_TYPE_REGISTRY.spike.defaults).toEqual({
      window: DEFAULT_SPIKE_WINDOW,
      baseline: DEFAULT_SPIKE_BASELINE,
      top: 10,
    });
  });

  it("lists the backend's top for patterns (10) and localize (5: pkg/localize Options)", () => {
    expect(QUERY_TYPE_REGISTRY.patterns.defaults).toEqual({ top: 10 });
    expect(QUERY_TYPE_REGISTRY.localize.defaults).toEqual({ top: 5 });
  });

  it.each([
    ['counts', {}, true],
    ['breakdown', {}, false],
    ['breakdown', { field: ' ' }, false],
    ['breakdown', { field: 'service' }, true],
    ['values', {}, false],
    ['values', { field: 'title' }, true],
    ['movers', {}, false],
    ['movers', { field: 'service' }, true],
    ['tickets', {}, true],
    ['stats', {}, true],
    ['logs', {}, true],
    ['spike', {}, true],
    ['patterns', {}, true],
    ['localize', {}, true],
  ] as const)('%s %j can run: %s', (type, patch, want) => {
    const def = QUERY_TYPE_REGISTRY[type];
    expect(def.canRun?.(q({ queryType: type, ...patch })) ?? true).toBe(want);
  });
});

describe('the plugin catalog page (src/README.md)', () => {
  it('has one row per query type, named by its label, in the registry order', () => {
    const text = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const table = text.split('## Queries')[1].split('\n\n')[1];
    const rows = table
      .split('\n')
      .slice(2)
      .map((line) => line.split('|')[1].trim());
    expect(rows).toEqual(queryTypeDefinitions().map((d) => d.label));
  });
});

describe('queryTypeDefinition', () => {
  it('gives counts to a query without a type', () => {
    expect(DEFAULT_QUERY_TYPE).toBe('counts');
    expect(queryTypeDefinition(undefined)).toBe(QUERY_TYPE_REGISTRY.counts);
  });

  it('finds each registered type', () => {
    for (const t of QUERY_TYPES) {
      expect(queryTypeDefinition(t)?.type).toBe(t);
    }
  });

  it('knows no type it has no entry for, even an Object property', () => {
    expect(queryTypeDefinition('forecast')).toBeUndefined();
    expect(queryTypeDefinition('toString')).toBeUndefined();
    expect(queryTypeDefinition('')).toBeUndefined();
  });
});
