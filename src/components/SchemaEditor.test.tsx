import { renderHook, waitFor } from '@testing-library/react';

import { resourcePath, serveBackend } from '../testing/fakes';
import { useSchemaValidation, validateSchemaText } from './SchemaEditor';

describe('validateSchemaText', () => {
  it("posts the text to the data source's validate-schema resource, by uid", async () => {
    const fetch = serveBackend(() => ({ data: { valid: true, columns: 3 } }));
    const res = await validateSchemaText('a/b', 'key: id');
    expect(res).toEqual({ valid: true, columns: 3 });
    const req = fetch.mock.calls[0][0];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/datasources/uid/a%2Fb/resources/validate-schema');
    expect(req.data).toEqual({ schema: 'key: id' });
    // The editor shows the verdict in place: Grafana must not toast it.
    expect(req.showErrorAlert).toBe(false);
  });
});

describe('useSchemaValidation', () => {
  it('is idle for an empty text and asks nothing', () => {
    const fetch = serveBackend(() => ({ data: { valid: true } }));
    const { result } = renderHook(() => useSchemaValidation('uid', '  ', 0));
    expect(result.current).toEqual({ status: 'idle' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('says a data source never saved cannot check its schema', () => {
    serveBackend(() => ({ data: { valid: true } }));
    const { result } = renderHook(() => useSchemaValidation(undefined, 'key: id', 0));
    expect(result.current).toEqual({ status: 'unavailable', message: 'the data source has not been saved yet' });
  });

  it("reports the backend's verdict: valid with its columns, or the problems", async () => {
    serveBackend((req) => {
      expect(resourcePath(req)).toBe('validate-schema');
      const text = (req.data as { schema: string }).schema;
      return text.includes('bad')
        ? { data: { valid: false, problems: [{ path: 'columns[0].type', line: 2, message: 'unknown type "bad"' }] } }
        : { data: { valid: true, columns: 9 } };
    });
    const { result, rerender } = renderHook(({ text }) => useSchemaValidation('uid', text, 0), {
      initialProps: { text: 'key: id' },
    });
    expect(result.current.status).toBe('checking');
    await waitFor(() => expect(result.current).toEqual({ status: 'valid', columns: 9 }));
    rerender({ text: 'type: bad' });
    await waitFor(() =>
      expect(result.current).toEqual({
        status: 'invalid',
        problems: [{ path: 'columns[0].type', line: 2, message: 'unknown type "bad"' }],
      })
    );
    // While the next text is checked, the problems stay in view rather than flicker away.
    rerender({ text: 'type: bad2' });
    expect(result.current.status).toBe('invalid');
  });

  it('says when the backend cannot be asked, with its reason', async () => {
    serveBackend(() => ({ status: 503, error: 'plugin not running' }));
    const { result } = renderHook(() => useSchemaValidation('uid', 'key: id', 0));
    await waitFor(() => expect(result.current).toEqual({ status: 'unavailable', message: 'plugin not running' }));
  });
});
