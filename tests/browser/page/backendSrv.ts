import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';
import { lastValueFrom, Observable } from 'rxjs';

/**
 * PageBackendSrv is the page's stand-in for Grafana's backend service
 * (public/app/core/services/backend_srv.ts, which is Grafana core and not published): it sends
 * each request to the page's own origin, where the suite routes /api/... to the bridge that
 * calls the real plugin binary. It keeps the parts of Grafana's service that our code relies
 * on: query parameters serialized into the URL (undefined ones dropped, arrays repeated), a
 * JSON body, the answer parsed as JSON, and a failed status thrown as a FetchError carrying the
 * status and the parsed body, which src/resources.ts errorMessage reads.
 */
export class PageBackendSrv implements BackendSrv {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const abort = new AbortController();
      send<T>(options, abort.signal).then(
        (res) => {
          subscriber.next(res);
          subscriber.complete();
        },
        (err: unknown) => subscriber.error(err)
      );
      return () => abort.abort();
    });
  }

  async request<T>(options: BackendSrvRequest): Promise<T> {
    return (await lastValueFrom(this.fetch<T>(options))).data;
  }

  datasourceRequest<T>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T>(url: string, params?: unknown, requestId?: string, options?: Partial<BackendSrvRequest>): Promise<T> {
    const query = params as BackendSrvRequest['params'];
    return this.request<T>({ ...options, url, method: 'GET', params: query, requestId });
  }

  post<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, method: 'POST', data });
  }

  put<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, method: 'PUT', data });
  }

  patch<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, method: 'PATCH', data });
  }

  delete<T>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, method: 'DELETE', data });
  }

  chunked(): Observable<FetchResponse<Uint8Array | undefined>> {
    throw new Error('PageBackendSrv: chunked responses are not used by Spacetime');
  }
}

function withParams(url: string, params: unknown): string {
  if (typeof params !== 'object' || params === null) {
    return url;
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null) {
        search.append(key, String(v));
      }
    }
  }
  const query = search.toString();
  if (query === '') {
    return url;
  }
  return url + (url.includes('?') ? '&' : '?') + query;
}

async function send<T>(options: BackendSrvRequest, signal: AbortSignal): Promise<FetchResponse<T>> {
  const url = withParams(options.url, options.params);
  const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) };
  let body: string | undefined;
  if (options.data !== undefined && options.method !== 'GET') {
    body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
    headers['Content-Type'] = headers['Content-Type'] ?? 'application/json';
  }
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body, signal });
  const text = await res.text();
  let data: unknown = text;
  if ((res.headers.get('Content-Type') ?? '').includes('json') && text !== '') {
    data = JSON.parse(text);
  }
  if (!res.ok) {
    const err: FetchError = { status: res.status, statusText: res.statusText, data, config: options };
    throw err;
  }
  return {
    data: data as T,
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    headers: res.headers,
    redirected: res.redirected,
    type: res.type,
    url: res.url,
    config: options,
  };
}
