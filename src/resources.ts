import { isFetchError } from '@grafana/runtime';

/**
 * errorMessage extracts what a failed resource call says. The backend answers errors with
 * {"error": "..."} (pkg/plugin/resources.go); Grafana's own errors carry {"message": "..."}.
 */
export function errorMessage(err: unknown): string {
  if (isFetchError(err)) {
    const data: unknown = err.data;
    if (typeof data === 'object' && data !== null) {
      const body = data as { error?: unknown; message?: unknown };
      if (typeof body.error === 'string' && body.error !== '') {
        return body.error;
      }
      if (typeof body.message === 'string' && body.message !== '') {
        return body.message;
      }
    }
    if (err.statusText) {
      return `${err.status} ${err.statusText}`;
    }
    return `HTTP ${err.status}`;
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** Keeps Grafana from showing its own error toast: the editors show resource errors in place. */
export const QUIET = { showErrorAlert: false, showSuccessAlert: false } as const;
