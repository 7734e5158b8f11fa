import React, { useEffect, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Button, CodeEditor, Icon, Monaco, MonacoEditor, useStyles2 } from '@grafana/ui';
import { lastValueFrom } from 'rxjs';

import { errorMessage, QUIET } from '../resources';
import { SchemaProblem, ValidateSchemaResponse } from '../types';

export type SchemaValidation =
  | { status: 'idle' }
  | { status: 'checking' }
  | { status: 'valid'; columns: number }
  | { status: 'invalid'; problems: SchemaProblem[] }
  | { status: 'unavailable'; message: string };

export const SCHEMA_VALIDATE_DELAY_MS = 600;

/** validateSchemaText asks the data source's backend to check a schema text (POST validate-schema). */
export async function validateSchemaText(uid: string, schema: string): Promise<ValidateSchemaResponse> {
  const res = await lastValueFrom(
    getBackendSrv().fetch<ValidateSchemaResponse>({
      ...QUIET,
      method: 'POST',
      url: `/api/datasources/uid/${encodeURIComponent(uid)}/resources/validate-schema`,
      data: { schema },
    })
  );
  return res.data;
}

/**
 * useSchemaValidation checks the schema text once typing pauses. Validation needs the data
 * source's backend; when there is none yet (a data source never saved, or a plugin that is
 * not running), it says so instead of failing.
 */
export function useSchemaValidation(
  uid: string | undefined,
  text: string,
  delayMs = SCHEMA_VALIDATE_DELAY_MS
): SchemaValidation {
  const [result, setResult] = useState<{ text: string; state: SchemaValidation }>();
  useEffect(() => {
    if (text.trim() === '' || !uid) {
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      let state: SchemaValidation;
      try {
        const res = await validateSchemaText(uid, text);
        state = res.valid
          ? { status: 'valid', columns: res.columns ?? 0 }
          : { status: 'invalid', problems: res.problems ?? [] };
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
  }, [uid, text, delayMs]);

  if (text.trim() === '') {
    return { status: 'idle' };
  }
  if (!uid) {
    return { status: 'unavailable', message: 'the data source has not been saved yet' };
  }
  if (result && (result.text === text || result.state.status === 'invalid')) {
    return result.state;
  }
  return { status: 'checking' };
}

interface Props {
  uid?: string;
  value: string;
  onChange: (value: string) => void;
}

const MARKER_OWNER = 'spacetime-schema';

/**
 * SchemaEditor edits the column schema as YAML in Grafana's code editor. The backend's verdict
 * appears in the editor (a marker on each problem's line) and below it as text in a live
 * region, each problem with a button that moves the cursor to its line.
 */
export function SchemaEditor({ uid, value, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const validation = useSchemaValidation(uid, value);
  const editorRef = useRef<MonacoEditor | null>(null);
  const monacoRef = useRef<Monaco | null>(null);
  // Monaco loads lazily: count mounts so the markers are set even when the verdict came first.
  const [mounts, setMounts] = useState(0);
  const [reducedMotion] = useState(prefersReducedMotion);

  useEffect(() => {
    const editor = editorRef.current;
    const monaco = monacoRef.current;
    const model = editor?.getModel();
    if (!editor || !monaco || !model) {
      return;
    }
    const problems = validation.status === 'invalid' ? validation.problems : [];
    monaco.editor.setModelMarkers(
      model,
      MARKER_OWNER,
      problems
        .filter((p) => p.line && p.line > 0)
        .map((p) => ({
          severity: monaco.MarkerSeverity.Error,
          message: `${p.path}: ${p.message}`,
          startLineNumber: p.line ?? 1,
          endLineNumber: p.line ?? 1,
          startColumn: 1,
          endColumn: model.getLineMaxColumn(p.line ?? 1),
        }))
    );
  }, [validation, mounts]);

  const goToLine = (line: number) => {
    const editor = editorRef.current;
    if (!editor) {
      return;
    }
    editor.revealLineInCenter(line);
    editor.setPosition({ lineNumber: line, column: 1 });
    editor.focus();
  };

  return (
    <div>
      <div aria-label="Column schema (YAML)" role="group" className={styles.editor}>
        <CodeEditor
          value={value}
          language="yaml"
          height={360}
          showLineNumbers
          showMiniMap={false}
          monacoOptions={{
            ariaLabel: 'Column schema (YAML)',
            scrollBeyondLastLine: false,
            cursorBlinking: reducedMotion ? 'solid' : 'blink',
          }}
          onChange={onChange}
          onBlur={onChange}
          onEditorDidMount={(editor, monaco) => {
            editorRef.current = editor;
            monacoRef.current = monaco;
            setMounts((n) => n + 1);
          }}
        />
      </div>
      <div aria-live="polite" aria-atomic="true" className={styles.status} data-testid="schema-status">
        <SchemaStatus validation={validation} onGoToLine={goToLine} />
      </div>
    </div>
  );
}

function SchemaStatus({
  validation,
  onGoToLine,
}: {
  validation: SchemaValidation;
  onGoToLine: (line: number) => void;
}) {
  const styles = useStyles2(getStyles);
  switch (validation.status) {
    case 'valid':
      return (
        <div className={styles.ok}>
          <Icon name="check" aria-hidden="true" /> The schema is valid: {validation.columns} columns.
        </div>
      );
    case 'invalid':
      return (
        <div className={styles.error}>
          <div>
            <Icon name="exclamation-triangle" aria-hidden="true" />{' '}
            <strong>
              The schema has {validation.problems.length === 1 ? 'a problem' : `${validation.problems.length} problems`}
            </strong>
            ; the data source will not load it until {validation.problems.length === 1 ? 'it is' : 'they are'} fixed:
          </div>
          <ul className={styles.list}>
            {validation.problems.map((p, i) => (
              <li key={i}>
                {p.line ? `Line ${p.line}: ` : ''}
                <code>{p.path}</code> {p.message}
                {p.line ? (
                  <Button size="sm" variant="secondary" fill="text" onClick={() => onGoToLine(p.line ?? 1)}>
                    Go to line {p.line}
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      );
    case 'unavailable':
      return (
        <div className={styles.note}>
          <Icon name="info-circle" aria-hidden="true" /> The schema could not be checked here ({validation.message}).
          Validation runs in the data source&apos;s backend and is available after &quot;Save &amp; test&quot;; the
          health check reports schema problems too.
        </div>
      );
    default:
      return null;
  }
}

/** prefersReducedMotion reads the user's motion preference once, as the editor is created. */
function prefersReducedMotion(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

const getStyles = (theme: GrafanaTheme2) => ({
  // Monaco fades its scrollbars, folding arrows and minimap with CSS transitions whatever the
  // user's motion preference (Grafana's CodeEditor passes it none): stop them for a user who
  // asked for less motion, as the blinking cursor is stopped through the editor's options.
  editor: css({
    [theme.transitions.handleMotion('reduce')]: {
      '& *': { transition: 'none !important', animation: 'none !important' },
    },
  }),
  status: css({ marginTop: theme.spacing(1) }),
  ok: css({ color: theme.colors.success.text }),
  error: css({ color: theme.colors.error.text }),
  note: css({ color: theme.colors.text.secondary }),
  list: css({ paddingLeft: theme.spacing(3), marginTop: theme.spacing(0.5) }),
});
