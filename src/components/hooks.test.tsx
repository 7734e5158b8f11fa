import { renderHook, waitFor } from '@testing-library/react';

import { DataSource } from '../datasource';
import { FakeTemplateSrv, instanceSettings, resourcePath, SCHEMA, serveBackend } from '../testing/fakes';
import { useFilterValidation, useSchema } from './hooks';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

describe('useSchema', () => {
  it('loads, then gives the schema', async () => {
    serveBackend(() => ({ data: SCHEMA }));
    const ds = new DataSource(instanceSettings());
    const { result } = renderHook(() => useSchema(ds));
    expect(result.current).toEqual({ loading: true });
    await waitFor(() => expect(result.current).toEqual({ schema: SCHEMA, error: undefined, loading: false }));
  });

  it("gives the backend's error when the schema cannot be read", async () => {
    serveBackend(() => ({ status: 503, error: 'invalid schema: line 2' }));
    const ds = new DataSource(instanceSettings());
    const { result } = renderHook(() => useSchema(ds));
    await waitFor(() => expect(result.current.error).toBe('invalid schema: line 2'));
    expect(result.current.schema).toBeUndefined();
  });

  it('does not show one data source schema for another', async () => {
    serveBackend(() => ({ data: SCHEMA }));
    const a = new DataSource(instanceSettings());
    const { result, rerender } = renderHook(({ ds }) => useSchema(ds), { initialProps: { ds: a } });
    await waitFor(() => expect(result.current.loading).toBe(false));
    rerender({ ds: new DataSource(instanceSettings()) });
    expect(result.current).toEqual({ loading: true });
  });
});

describe('useFilterValidation', () => {
  function validator(verdicts: Record<string, { position: number; message: string } | undefined>) {
    const sent: string[] = [];
    serveBackend((req) => {
      expect(resourcePath(req)).toBe('validate');
      const filter = (req.data as { filter: string }).filter;
      sent.push(filter);
      const error = verdicts[filter];
      return { data: error ? { valid: false, error } : { valid: true } };
    });
    return sent;
  }

  it('is idle for an empty filter and sends nothing', () => {
    const sent = validator({});
    const ds = new DataSource(instanceSettings());
    const { result } = renderHook(() => useFilterValidation(ds, ' ', 0));
    expect(result.current).toEqual({ status: 'idle' });
    expect(sent).toEqual([]);
  });

  it('checks the text with its variables replaced, and gives the error with the text checked', async () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'svc', value: ['a', 'b'], multi: true }]);
    const error = { position: 10, message: 'unknown field "servce"' };
    const sent = validator({ 'servce in ("a", "b")': error });
    const ds = new DataSource(instanceSettings());
    const { result } = renderHook(() => useFilterValidation(ds, 'servce in ($svc)', 0));
    expect(result.current).toEqual({ status: 'checking' });
    await waitFor(() =>
      expect(result.current).toEqual({ status: 'invalid', checkedText: 'servce in ("a", "b")', error })
    );
    expect(sent).toEqual(['servce in ("a", "b")']);
  });

  it('sends only the text typing paused on', async () => {
    const sent = validator({});
    const ds = new DataSource(instanceSettings());
    const { result, rerender } = renderHook(({ text }) => useFilterValidation(ds, text, 50), {
      initialProps: { text: 's' },
    });
    rerender({ text: 'se' });
    rerender({ text: 'sev = 1' });
    await waitFor(() => expect(result.current).toEqual({ status: 'valid', checkedText: 'sev = 1' }));
    expect(sent).toEqual(['sev = 1']);
  });

  it('keeps the last error in view while a new text is checked', async () => {
    const error = { position: 5, message: 'expected a value' };
    validator({ 'sev =': error });
    const ds = new DataSource(instanceSettings());
    const { result, rerender } = renderHook(({ text }) => useFilterValidation(ds, text, 0), {
      initialProps: { text: 'sev =' },
    });
    await waitFor(() => expect(result.current.status).toBe('invalid'));
    rerender({ text: 'sev = ' });
    expect(result.current).toEqual({ status: 'invalid', checkedText: 'sev =', error });
    await waitFor(() => expect(result.current).toEqual({ status: 'valid', checkedText: 'sev = ' }));
  });

  it('says when the filter could not be checked', async () => {
    serveBackend(() => ({ status: 503, error: 'the data source is not set up' }));
    const ds = new DataSource(instanceSettings());
    const { result } = renderHook(() => useFilterValidation(ds, 'a', 0));
    await waitFor(() =>
      expect(result.current).toEqual({ status: 'unavailable', message: 'the data source is not set up' })
    );
  });
});
