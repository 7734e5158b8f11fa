import { useEffect, useState } from 'react';

import { errorMessage } from '../resources';
import { FilterError, SchemaResponse, TicketsApi } from '../types';

export interface SchemaState {
  schema?: SchemaResponse;
  error?: string;
  loading: boolean;
}

/** useSchema reads the data source's column schema for the field pickers. */
export function useSchema(datasource: TicketsApi): SchemaState {
  const [result, setResult] = useState<{ datasource: TicketsApi; schema?: SchemaResponse; error?: string }>();
  useEffect(() => {
    let live = true;
    datasource.getSchema().then(
      (schema) => live && setResult({ datasource, schema }),
      (err: unknown) => live && setResult({ datasource, error: errorMessage(err) })
    );
    return () => {
      live = false;
    };
  }, [datasource]);
  if (!result || result.datasource !== datasource) {
    return { loading: true };
  }
  return { schema: result.schema, error: result.error, loading: false };
}

export type ValidationState =
  | { status: 'idle' }
  | { status: 'checking' }
  | { status: 'valid'; checkedText: string }
  | { status: 'invalid'; checkedText: string; error: FilterError }
  | { status: 'unavailable'; message: string };

/** How long typing must pause before the filter is sent for validation. */
export const VALIDATE_DELAY_MS = 400;

/**
 * useFilterValidation asks the backend whether a filter parses and fits the schema, once the
 * user pauses typing. Variables are replaced first (the backend knows nothing of them), so
 * checkedText is the text that was checked. An answer to an older text is dropped; while a
 * new answer is pending, the last error stays in view rather than flickering away.
 */
export function useFilterValidation(
  datasource: TicketsApi,
  text: string,
  delayMs: number = VALIDATE_DELAY_MS
): ValidationState {
  const [result, setResult] = useState<{ text: string; state: ValidationState }>();

  useEffect(() => {
    if (text.trim() === '') {
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      const checkedText = datasource.interpolateFilter(text);
      let state: ValidationState;
      try {
        const res = await datasource.validateFilter(checkedText);
        state =
          res.valid || !res.error
            ? { status: 'valid', checkedText }
            : { status: 'invalid', checkedText, error: res.error };
      } catch (err) {
        state = { status: 'unavailable', message: errorMessage(err) };
      }
      if (live) {
        setResult({ text, state });
      }
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [datasource, text, delayMs]);

  if (text.trim() === '') {
    return { status: 'idle' };
  }
  if (result && (result.text === text || result.state.status === 'invalid')) {
    return result.state;
  }
  return { status: 'checking' };
}
