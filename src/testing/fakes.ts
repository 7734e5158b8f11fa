// Test doubles for the frontend's boundary with Grafana: the template service and the backend
// service that @grafana/runtime hands out. Tests mock @grafana/runtime's getters to return these.

import { DataSourceInstanceSettings, ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchError, FetchResponse, setBackendSrv, TemplateSrv } from '@grafana/runtime';
import { configure } from '@testing-library/react';
import { Observable, of, throwError } from 'rxjs';

import { SchemaResponse, TicketsOptions } from '../types';

export interface FakeVariable {
  name: string;
  value: string | string[];
  multi?: boolean;
  includeAll?: boolean;
}

type FormatFn = (value: unknown, variable: unknown) => string;

/**
 * FakeTemplateSrv replaces $name, ${name}, ${name:format} and [[name]] as Grafana's template
 * service does for the cases these tests need: scoped variables win over dashboard ones, a
 * format function receives the raw value (an array for multi-value variables) and the
 * variable, the "csv" format joins with commas, and unknown variables stay as written.
 */
export class FakeTemplateSrv implements TemplateSrv {
  constructor(private readonly vars: FakeVariable[] = []) {}

  getVariables(): TypedVariableModel[] {
    return this.vars.map(
      (v) =>
        ({
          name: v.name,
          type: 'custom',
          multi: Boolean(v.multi),
          includeAll: Boolean(v.includeAll),
        }) as unknown as TypedVariableModel
    );
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | FormatFn): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(
      /\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]/g,
      (match: string, a?: string, b?: string, explicitFormat?: string, c?: string) => {
        const name = a ?? b ?? c ?? '';
        const scoped = scopedVars?.[name];
        const variable = this.vars.find((v) => v.name === name);
        if (!scoped && !variable) {
          return match;
        }
        const value: unknown = scoped ? scoped.value : variable?.value;
        const fmt = explicitFormat ?? format;
        if (typeof fmt === 'function') {
          return fmt(value, variable ?? { name, multi: false, includeAll: false });
        }
        if (fmt === 'raw' || fmt === 'csv' || fmt === undefined) {
          return Array.isArray(value) ? value.join(',') : String(value);
        }
        throw new Error(`FakeTemplateSrv: format ${fmt} is not faked`);
      }
    );
  }

  containsTemplate(target?: string): boolean {
    return Boolean(target && /\$\w+|\$\{\w+|\[\[\w+\]\]/.test(target));
  }

  updateTimeRange(_: TimeRange): void {}
}

/** What a faked backend answers: a body, or an HTTP error with the backend's {"error"} body. */
export type FakeAnswer = { data: unknown } | { status: number; error: string };

export type FakeRoute = (req: BackendSrvRequest) => FakeAnswer;

/** fakeFetch answers BackendSrv.fetch requests through route, as an Observable like Grafana's. */
export function fakeFetch(route: FakeRoute) {
  return jest.fn((req: BackendSrvRequest): Observable<FetchResponse<unknown>> => {
    const answer = route(req);
    if ('error' in answer) {
      const err: FetchError = {
        status: answer.status,
        statusText: answer.status === 503 ? 'Service Unavailable' : 'Error',
        data: { error: answer.error },
        config: req,
      };
      return throwError(() => err);
    }
    return of({
      data: answer.data,
      status: 200,
      statusText: 'OK',
      ok: true,
      headers: new Headers(),
      redirected: false,
      type: 'basic',
      url: req.url,
      config: req,
    });
  });
}

/**
 * serveBackend installs a backend service whose fetch answers through route, and returns the
 * fetch mock. DataSourceWithBackend reaches the backend service from inside @grafana/runtime,
 * where a jest.mock of the package's exports does not reach, so the fake goes in through
 * setBackendSrv: the injection point Grafana itself uses when it starts.
 */
export function serveBackend(route: FakeRoute) {
  const fetch = fakeFetch(route);
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return fetch;
}

/** resourcePath is the part of a resource URL after /resources/, without the query string. */
export function resourcePath(req: BackendSrvRequest): string {
  const m = /\/resources\/([^?]*)/.exec(req.url);
  return m ? m[1] : req.url;
}

export function instanceSettings(jsonData: TicketsOptions = {}): DataSourceInstanceSettings<TicketsOptions> {
  return {
    id: 1,
    uid: 'spacetime-uid',
    type: 'spacetime-tickets-datasource',
    name: 'Spacetime',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: {
      id: 'spacetime-tickets-datasource',
      name: 'Spacetime tickets',
      type: 'datasource',
      info: { version: '1.0.0' },
    },
  } as unknown as DataSourceInstanceSettings<TicketsOptions>;
}

/** A schema in the shape the backend's schema resource returns, after pkg/schema/default.yaml. */
export const SCHEMA: SchemaResponse = {
  key: 'id',
  version: 'updated',
  time: 'created',
  open: 'resolved is null',
  columns: [
    { name: 'id', type: 'string', title: 'Ticket', order: 1, table: true },
    { name: 'severity', type: 'number', title: 'Sev', order: 2, table: true, facet: true },
    { name: 'title', type: 'text', title: 'Title', order: 3, table: true },
    { name: 'status', type: 'string', title: 'Status', order: 4, table: true, facet: true },
    { name: 'service', type: 'string', title: 'Service', order: 5, table: true, facet: true },
    { name: 'region', type: 'string', title: 'Region', order: 6, table: true, facet: true },
    { name: 'created', type: 'time', title: 'Created', order: 11, table: true },
    { name: 'resolved', type: 'time', title: 'Resolved', order: 13, table: false },
    { name: 'description', type: 'text', title: 'Description', order: 14, table: false, detail: true },
  ],
  table: {
    columns: ['id', 'severity', 'title', 'status', 'service', 'created'],
    sort: [{ field: 'created', desc: true }],
    limit: 200,
  },
  defaults: { filter: 'status != "resolved"' },
  // The facet order the backend sends (display order), which differs from schema order here on purpose.
  facets: ['service', 'severity', 'status', 'region'],
};

/**
 * prepareDom gives elements a size and text a width: jsdom lays nothing out and draws on no
 * canvas, and Grafana's Combobox measures its text and lists only the options that fit its
 * (virtualised) menu. It also lets findBy queries wait longer than the default second: the
 * test machines are small and shared, and a slow run must not read as a failure.
 */
export function prepareDom() {
  configure({ asyncUtilTimeout: 5000 });
  class NoIntersectionObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  }
  Object.defineProperty(window, 'IntersectionObserver', { configurable: true, value: NoIntersectionObserver });
  Object.defineProperty(HTMLCanvasElement.prototype, 'getContext', {
    configurable: true,
    value: () => ({ measureText: (text: string) => ({ width: text.length * 7 }), font: '' }),
  });
  for (const prop of ['offsetWidth', 'offsetHeight', 'clientWidth', 'clientHeight']) {
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => 400 });
  }
  Object.defineProperty(Element.prototype, 'getBoundingClientRect', {
    configurable: true,
    value: () => ({
      width: 400,
      height: 400,
      top: 0,
      left: 0,
      bottom: 400,
      right: 400,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    }),
  });
}
