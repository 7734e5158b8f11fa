import { FetchError } from '@grafana/runtime';

import { errorMessage, QUIET } from './resources';

function fetchError(status: number, data: unknown, statusText = ''): FetchError {
  return { status, statusText, data, config: { url: '/api/x' } };
}

describe('errorMessage', () => {
  it.each([
    ["the backend's error", fetchError(400, { error: 'unknown field "servce"' }), 'unknown field "servce"'],
    ["Grafana's message", fetchError(502, { message: 'plugin unavailable' }), 'plugin unavailable'],
    ['error before message', fetchError(400, { error: 'a', message: 'b' }), 'a'],
    ['an empty error: the message', fetchError(400, { error: '', message: 'b' }), 'b'],
    ['no body: the status text', fetchError(503, 'upstream', 'Service Unavailable'), '503 Service Unavailable'],
    ['nothing but a status', fetchError(500, null), 'HTTP 500'],
    ['a body error that is not text', fetchError(500, { error: { code: 1 } }, 'Internal'), '500 Internal'],
    ['an Error', new Error('network down'), 'network down'],
    ['anything else', 42, '42'],
  ])('%s', (_, err, want) => {
    expect(errorMessage(err)).toBe(want);
  });
});

describe('QUIET', () => {
  it('turns off both of Grafana toasts', () => {
    expect(QUIET).toEqual({ showErrorAlert: false, showSuccessAlert: false });
  });
});
