// The truth the contract suite compares what a user sees with: the generated data set the bridge
// wrote beside each store (one ticket a JSON line, pkg/gen), read and counted here in plain
// TypeScript, independently of the plugin. Filters are written as predicates in the tests, never
// parsed: nothing here is a second implementation of the filter language.

import { readFileSync } from 'fs';

import { BridgeDatasource } from './bridge';

export interface Ticket {
  id: string;
  severity: number | null;
  title: string;
  status: string | null;
  service: string | null;
  region: string | null;
  category: string | null;
  type: string | null;
  item: string | null;
  assignee_group: string | null;
  /** Unix milliseconds. */
  created: number;
  updated: number | null;
  resolved: number | null;
  description: string | null;
}

type Raw = Record<string, string | number | null>;

export function loadTickets(ds: BridgeDatasource): Ticket[] {
  const byId = new Map<string, Ticket>();
  for (const line of readFileSync(ds.tickets, 'utf8').split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    const r = JSON.parse(line) as Raw;
    const time = (k: string) => (r[k] === null || r[k] === undefined ? null : Date.parse(String(r[k])));
    const str = (k: string) => (r[k] === null || r[k] === undefined ? null : String(r[k]));
    const t: Ticket = {
      id: String(r.id),
      severity: r.severity === null ? null : Number(r.severity),
      title: String(r.title ?? ''),
      status: str('status'),
      service: str('service'),
      region: str('region'),
      category: str('category'),
      type: str('type'),
      item: str('item'),
      assignee_group: str('assignee_group'),
      created: time('created')!,
      updated: time('updated'),
      resolved: time('resolved'),
      description: str('description'),
    };
    byId.set(t.id, t); // a later version of a ticket replaces the earlier one, as the store does
  }
  return [...byId.values()];
}

export type Predicate = (t: Ticket) => boolean;

/** inRange is the engine's range: created in [from, to), in milliseconds. */
export function inRange(from: number, to: number): Predicate {
  return (t) => t.created >= from && t.created < to;
}

export function and(...ps: Predicate[]): Predicate {
  return (t) => ps.every((p) => p(t));
}

/** label is how the frames name a value: numbers as the engine prints them, no value as "(none)". */
export function label(v: string | number | null): string {
  return v === null ? '(none)' : String(v);
}

export function countBy(
  tickets: Ticket[],
  keep: Predicate,
  key: (t: Ticket) => string | number | null
): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tickets) {
    if (keep(t)) {
      const k = label(key(t));
      out.set(k, (out.get(k) ?? 0) + 1);
    }
  }
  return out;
}

export function count(tickets: Ticket[], keep: Predicate): number {
  return tickets.reduce((n, t) => n + (keep(t) ? 1 : 0), 0);
}

/** field reads a column of a ticket by its schema name. */
export function field(t: Ticket, name: string): string | number | null {
  return (t as unknown as Record<string, string | number | null>)[name];
}
