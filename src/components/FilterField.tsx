import React, { KeyboardEvent, useRef } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Icon, Stack, TextArea, useStyles2 } from '@grafana/ui';

import { byteOffsetToIndex } from '../filterLanguage';
import { TicketsApi } from '../types';
import { FilterHelpButton } from './FilterHelp';
import { useFilterValidation, ValidationState } from './hooks';

interface Props {
  datasource: TicketsApi;
  id: string;
  label?: string;
  value: string;
  placeholder?: string;
  onChange: (value: string) => void;
  /** Called when the user leaves the field or presses Shift+Enter: commit and run. */
  onCommit?: () => void;
  rows?: number;
}

/**
 * FilterField is the filter expression input: a text area, the syntax help, and the backend's
 * verdict as the user types. An error is shown in place (the checked text with the character
 * at fault marked) and announced through a polite live region, never by colour alone.
 */
export function FilterField({
  datasource,
  id,
  label = 'Filter',
  value,
  placeholder,
  onChange,
  onCommit,
  rows = 2,
}: Props) {
  const styles = useStyles2(getStyles);
  const validation = useFilterValidation(datasource, value);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const statusId = `${id}-status`;
  const invalid = validation.status === 'invalid';

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.shiftKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onCommit?.();
    }
  };

  const goToError = () => {
    if (validation.status !== 'invalid' || validation.checkedText !== value || !textarea.current) {
      return;
    }
    const at = byteOffsetToIndex(value, validation.error.position);
    textarea.current.focus();
    textarea.current.setSelectionRange(at, Math.min(at + 1, value.length));
  };

  return (
    <div className={styles.wrapper}>
      <Stack direction="row" gap={0.5} alignItems="center">
        <label htmlFor={id} className={styles.label}>
          {label}
        </label>
        <FilterHelpButton />
      </Stack>
      <TextArea
        id={id}
        ref={textarea}
        className={styles.input}
        value={value}
        rows={rows}
        placeholder={placeholder ?? 'service = "checkout" and severity <= 2'}
        spellCheck={false}
        invalid={invalid}
        aria-invalid={invalid}
        aria-describedby={statusId}
        onChange={(e) => onChange(e.currentTarget.value)}
        onBlur={() => onCommit?.()}
        onKeyDown={onKeyDown}
      />
      <div id={statusId} aria-live="polite" aria-atomic="true" className={styles.status}>
        <FilterStatus validation={validation} typed={value} onGoToError={goToError} />
      </div>
    </div>
  );
}

function FilterStatus({
  validation,
  typed,
  onGoToError,
}: {
  validation: ValidationState;
  typed: string;
  onGoToError: () => void;
}) {
  const styles = useStyles2(getStyles);
  switch (validation.status) {
    case 'invalid': {
      const { checkedText, error } = validation;
      const at = byteOffsetToIndex(checkedText, error.position);
      const interpolated = checkedText !== typed;
      return (
        <div className={styles.error} data-testid="filter-error">
          <div>
            <Icon name="exclamation-triangle" aria-hidden="true" />{' '}
            <strong>
              Filter error at position {at + 1}
              {interpolated ? ' (after variables were replaced)' : ''}:
            </strong>{' '}
            {error.message}
          </div>
          <pre className={styles.excerpt} aria-hidden="true">
            {checkedText.slice(0, at)}
            <mark className={styles.mark}>{at < checkedText.length ? checkedText[at] : ' '}</mark>
            {checkedText.slice(at + 1)}
          </pre>
          {!interpolated && (
            <Button size="sm" variant="secondary" fill="text" icon="crosshair" onClick={onGoToError}>
              Go to error
            </Button>
          )}
        </div>
      );
    }
    case 'unavailable':
      return (
        <div className={styles.note}>
          <Icon name="info-circle" aria-hidden="true" /> The filter could not be checked: {validation.message}
        </div>
      );
    default:
      return null;
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    width: '100%',
    marginBottom: theme.spacing(1),
  }),
  label: css({
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    marginBottom: 0,
  }),
  input: css({
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  status: css({
    marginTop: theme.spacing(0.5),
  }),
  error: css({
    color: theme.colors.error.text,
  }),
  note: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  excerpt: css({
    margin: theme.spacing(0.5, 0),
    padding: theme.spacing(0.5, 1),
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    color: theme.colors.text.primary,
  }),
  mark: css({
    background: theme.colors.error.transparent,
    color: theme.colors.text.primary,
    textDecoration: 'underline wavy',
    textDecorationColor: theme.colors.error.main,
  }),
});
