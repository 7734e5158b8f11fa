import { BackendSrvRequest, FetchError, getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { FakeTemplateSrv, fakeFetch, instanceSettings, resourcePath, SCHEMA, serveBackend } from './fakes';

// The fakes stand in for Grafana in every other test: these pin the behaviour those tests
// rely on, so that a change to a fake cannot quietly make them pass.

describe('FakeTemplateSrv', () => {
  const srv = new FakeTemplateSrv([
    { name: 'svc', value: ['a', 'b'], multi: true },
    { name: 'region', value: 'eu' },
  ]);

  it('replaces the three variable syntaxes, and leaves unknown variables as written', () => {
    expect(srv.replace('$region ${region} [[region]] $nope')).toBe('eu eu eu $nope');
  });

  it('joins a multi-value variable with commas by default, and passes the raw value to a format function', () => {
    expect(srv.replace('in ($svc)')).toBe('in (a,b)');
    const seen: unknown[] = [];
    srv.replace('$svc', undefined, (value, variable) => {
      seen.push(value, (variable as { multi: boolean }).multi);
      return '';
    });
    expect(seen).toEqual([['a', 'b'], true]);
  });

  it('lets scoped variables win', () => {
    expect(srv.replace('$region', { region: { text: 'us', value: 'us' } })).toBe('us');
  });

  it('refuses a format it does not fake rather than guess', () => {
    expect(() => srv.replace('$region', undefined, 'regex')).toThrow(/not faked/);
  });

  it('lists its variables as Grafana does, and spots templates', () => {
    expect(srv.getVariables().map((v) => v.name)).toEqual(['svc', 'region']);
    expect(srv.containsTemplate('a ${b}')).toBe(true);
    expect(srv.containsTemplate('plain')).toBe(false);
  });
});

describe('fakeFetch and serveBackend', () => {
  const req: BackendSrvRequest = { url: '/api/datasources/uid/x/resources/values?field=a', method: 'GET' };

  it('answers a body as a 200 response', async () => {
    const res = await lastValueFrom(fakeFetch(() => ({ data: { ok: 1 } }))(req));
    expect(res).toMatchObject({ status: 200, ok: true, data: { ok: 1 } });
  });

  it("fails with the backend's {error} body and the status", async () => {
    await expect(lastValueFrom(fakeFetch(() => ({ status: 503, error: 'down' }))(req))).rejects.toMatchObject({
      status: 503,
      statusText: 'Service Unavailable',
      data: { error: 'down' },
    } satisfies Partial<FetchError>);
  });

  it("installs the fake as Grafana's backend service", async () => {
    const fetch = serveBackend(() => ({ data: 'x' }));
    await lastValueFrom(getBackendSrv().fetch(req));
    expect(fetch).toHaveBeenCalledWith(req);
  });

  it('reads the resource path of a URL', () => {
    expect(resourcePath(req)).toBe('values');
    expect(resourcePath({ url: '/other' })).toBe('/other');
  });
});

describe('instanceSettings and SCHEMA', () => {
  it('carry the jsonData given, and a schema whose facets are columns', () => {
    expect(instanceSettings({ store: 'dynamodb' }).jsonData).toEqual({ store: 'dynamodb' });
    const names = SCHEMA.columns.map((c) => c.name);
    for (const f of SCHEMA.facets) {
      expect(names).toContain(f);
    }
  });
});
