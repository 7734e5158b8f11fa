// Helpers that write text in Spacetime's filter language (the grammar is documented in
// pkg/filter/doc.go): quoting strings and field names, formatting template variables, and
// turning Grafana's ad hoc filters into an expression. The backend parses and checks every
// filter; nothing here tries to be a second parser.

import { AdHocFilter } from './types';

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'true', 'false', 'contains']);
const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function escapeChars(s: string, quote: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        out += '\\r';
        break;
      default:
        if (quote.includes(ch)) {
          out += '\\' + ch;
        } else if (ch < ' ') {
          out += '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
        } else {
          out += ch;
        }
    }
  }
  return out;
}

/** quoteString writes s as a double-quoted string literal. */
export function quoteString(s: string): string {
  return '"' + escapeChars(s, '"') + '"';
}

/**
 * escapeInString escapes s for use inside a string literal the user already quoted, with
 * either quote character: the grammar accepts \" and \' in both kinds of string.
 */
export function escapeInString(s: string): string {
  return escapeChars(s, '"\'');
}

/** quoteField writes a field name, in backquotes when it is a keyword or not a plain identifier. */
export function quoteField(name: string): string {
  if (PLAIN_FIELD.test(name) && !KEYWORDS.has(name.toLowerCase())) {
    return name;
  }
  return '`' + escapeChars(name, '`') + '`';
}

/** What Grafana's template service hands a custom format function. */
export type VariableValue = string | number | boolean | Array<string | number | boolean> | null | undefined;

interface VariableLike {
  multi?: boolean;
  includeAll?: boolean;
}

function isMultiCapable(variable: unknown): boolean {
  if (typeof variable !== 'object' || variable === null) {
    return false;
  }
  const v = variable as VariableLike;
  return Boolean(v.multi || v.includeAll);
}

/**
 * formatFilterVariable is the template format for variables inside a filter expression.
 * It follows the convention of Grafana's SQL data sources (interpolateVariable in the
 * MySQL and PostgreSQL plugins): a variable that can hold several values becomes a quoted,
 * comma-separated list, ready for `field in ($var)`; a single-value variable is inserted as
 * it is, escaped so that it stays inside the quotes the user wrote (`field = "$var"`) and
 * still works bare where a number is expected (`severity <= $sev`).
 */
export function formatFilterVariable(value: VariableValue, variable?: unknown): string {
  if (Array.isArray(value)) {
    return value.map((v) => quoteString(String(v))).join(', ');
  }
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value !== 'string') {
    return String(value);
  }
  return isMultiCapable(variable) ? quoteString(value) : escapeInString(value);
}

/** formatSearchVariable joins the values of a multi-value variable with spaces (search words). */
export function formatSearchVariable(value: VariableValue): string {
  if (Array.isArray(value)) {
    return value.map(String).join(' ');
  }
  return value === null || value === undefined ? '' : String(value);
}

/** formatListVariable joins the values with commas, for options that hold a list (columns). */
export function formatListVariable(value: VariableValue): string {
  if (Array.isArray(value)) {
    return value.map(String).join(',');
  }
  return value === null || value === undefined ? '' : String(value);
}

/** formatSingleVariable takes the first value: a field name can only be one field. */
export function formatSingleVariable(value: VariableValue): string {
  if (Array.isArray(value)) {
    return value.length > 0 ? String(value[0]) : '';
  }
  return value === null || value === undefined ? '' : String(value);
}

/**
 * adHocFilterToExpression writes one ad hoc filter in the filter language with the same
 * meaning that the backend gives it (pkg/filter FromAdHoc): "=" and "!=" with an empty value
 * test for null, "=|" and "!=|" are "in" and "not in", "=~" and "!~" are RE2 regular
 * expressions. It returns undefined for an operator it does not know.
 */
export function adHocFilterToExpression(f: AdHocFilter): string | undefined {
  const field = quoteField(f.key);
  switch (f.operator) {
    case '=':
    case '!=':
      if (f.value === '') {
        return `${field} is ${f.operator === '!=' ? 'not ' : ''}null`;
      }
      return `${field} ${f.operator} ${quoteString(f.value)}`;
    case '=~':
    case '!~':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return `${field} ${f.operator} ${quoteString(f.value)}`;
    case '=|':
    case '!=|': {
      const values = f.values && f.values.length > 0 ? f.values : f.value !== '' ? [f.value] : [];
      if (values.length === 0) {
        return undefined;
      }
      return `${field} ${f.operator === '!=|' ? 'not in' : 'in'} (${values.map(quoteString).join(', ')})`;
    }
    default:
      return undefined;
  }
}

/** adHocFiltersToExpression ANDs the filters it can write; unknown operators are left out. */
export function adHocFiltersToExpression(filters: AdHocFilter[]): string {
  return filters
    .map(adHocFilterToExpression)
    .filter((e): e is string => e !== undefined)
    .join(' and ');
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) {
    return 1;
  }
  if (codePoint < 0x800) {
    return 2;
  }
  if (codePoint < 0x10000) {
    return 3;
  }
  return 4;
}

/**
 * byteOffsetToIndex converts a 0-based UTF-8 byte offset, as the Go backend reports error
 * positions, into an index into the JavaScript (UTF-16) string. An offset inside a
 * character maps to that character's start; past the end, to the string's length.
 */
export function byteOffsetToIndex(text: string, byteOffset: number): number {
  let bytes = 0;
  let index = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const next = bytes + utf8Length(cp);
    if (next > byteOffset) {
      return index;
    }
    bytes = next;
    index += ch.length;
  }
  return text.length;
}
