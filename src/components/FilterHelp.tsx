import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { IconButton, Toggletip, useStyles2 } from '@grafana/ui';

const OPERATORS: Array<[string, string]> = [
  ['= != < <= > >=', 'compare a field with a value; on text, < and > compare alphabetically'],
  ['=~ !~', 'match or do not match a regular expression (RE2, unanchored: use ^ and $)'],
  ['contains, not contains', 'hold a piece of text, ignoring case'],
  ['in (…), not in (…)', 'equal one of the listed values, or none of them'],
  ['is null, is not null', 'have no value, or have one'],
  ['and, or, not, ( )', 'combine tests; not binds tightest, then and, then or'],
];

const EXAMPLES = [
  'service = "checkout" and severity <= 2',
  'region =~ "^eu-" or status in ("open", "acknowledged")',
  'not (title contains "test") and resolved is null',
  'created >= "2024-05-01 12:00"',
  'id =~ "^INC\\\\d+$"',
  '`first name` = "Ada"',
];

/** FilterSyntax explains the filter language (pkg/filter/doc.go has the full grammar). */
export function FilterSyntax() {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.help}>
      <table className={styles.table}>
        <caption className={styles.caption}>Operators</caption>
        <tbody>
          {OPERATORS.map(([op, meaning]) => (
            <tr key={op}>
              <th scope="row">
                <code>{op}</code>
              </th>
              <td>{meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        Strings go in double or single quotes, with <code>\&quot;</code>, <code>\\</code>, <code>\n</code> escapes; a
        regex backslash is doubled. Numbers and <code>true</code>/<code>false</code> go bare. Times are strings such as{' '}
        <code>&quot;2024-05-01T12:00:00Z&quot;</code> or <code>&quot;2024-05-01&quot;</code> (UTC). A field name that is
        a keyword or has spaces goes in backquotes.
      </p>
      <p>
        Variables: a multi-value variable becomes a quoted list, so write <code>service in ($service)</code>; a
        single-value variable is inserted as is, so quote it: <code>service = &quot;$service&quot;</code>.
      </p>
      <p>Examples:</p>
      <ul className={styles.examples}>
        {EXAMPLES.map((e) => (
          <li key={e}>
            <code>{e}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** FilterHelpButton opens the syntax help; Toggletip opens on Enter or Space and closes on Escape. */
export function FilterHelpButton() {
  return (
    <Toggletip title="Filter syntax" content={<FilterSyntax />} closeButton placement="bottom-start">
      <IconButton name="question-circle" aria-label="Filter syntax help" tooltip="Filter syntax help" />
    </Toggletip>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  help: css({
    maxWidth: 560,
    fontSize: theme.typography.bodySmall.fontSize,
    p: { marginBottom: theme.spacing(1) },
  }),
  table: css({
    marginBottom: theme.spacing(1),
    th: { textAlign: 'left', paddingRight: theme.spacing(1), verticalAlign: 'top', whiteSpace: 'nowrap' },
    td: { paddingBottom: theme.spacing(0.5) },
  }),
  caption: css({
    textAlign: 'left',
    fontWeight: theme.typography.fontWeightMedium,
    paddingBottom: theme.spacing(0.5),
  }),
  examples: css({
    listStyle: 'none',
    paddingLeft: 0,
  }),
});
