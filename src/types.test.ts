import fs from 'fs';
import path from 'path';

import { DEFAULT_QUERY, QUERY_TYPES } from './types';

/**
 * backendQueryTypes reads the query types the Go backend declares: every string constant of
 * type Type in the non-test files of pkg/query and the packages under it. The frontend's list
 * is written by hand (the wire format is the contract between the two), so this keeps them equal.
 */
function backendQueryTypes(): string[] {
  const root = path.resolve(__dirname, '..', 'pkg', 'query');
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(p);
      } else if (entry.name.endsWith('.go') && !entry.name.endsWith('_test.go')) {
        const text = fs.readFileSync(p, 'utf8');
        // In a const block (`Counts Type = "counts"`) or alone (`const Counts Type = "counts"`,
        // one per file since the registry gave each type its own file).
        for (const m of text.matchAll(/^\s*(?:const\s+)?\w+\s+(?:query\.)?Type\s*=\s*"([^"]+)"/gm)) {
          found.push(m[1]);
        }
      }
    }
  };
  walk(root);
  return found;
}

describe('QUERY_TYPES', () => {
  it('lists each type once', () => {
    expect(new Set(QUERY_TYPES).size).toBe(QUERY_TYPES.length);
  });

  it('holds exactly the query types the Go backend declares (pkg/query)', () => {
    const backend = backendQueryTypes();
    expect(backend.length).toBeGreaterThan(0);
    expect([...backend].sort()).toEqual([...QUERY_TYPES].sort());
  });
});

describe('DEFAULT_QUERY', () => {
  it('is a query of a known type', () => {
    expect(QUERY_TYPES).toContain(DEFAULT_QUERY.queryType);
  });
});
