import {
  adHocFiltersToExpression,
  adHocFilterToExpression,
  byteOffsetToIndex,
  escapeInString,
  formatFilterVariable,
  formatListVariable,
  formatSearchVariable,
  formatSingleVariable,
  quoteField,
  quoteString,
} from './filterLanguage';

describe('quoteString', () => {
  // Expected strings follow the escapes of pkg/filter/doc.go: \" \\ \n \t \r \uXXXX.
  it.each([
    ['plain', 'checkout', '"checkout"'],
    ['double quote', 'say "hi"', '"say \\"hi\\""'],
    ['single quote stays', "it's", '"it\'s"'],
    ['backslash', 'a\\d+', '"a\\\\d+"'],
    ['newline and tab', 'a\nb\tc', '"a\\nb\\tc"'],
    ['control character', 'a\u0001b', '"a\\u0001b"'],
    ['unicode stays', 'région 🌍', '"région 🌍"'],
  ])('%s', (_, input, want) => {
    expect(quoteString(input)).toBe(want);
  });
});

describe('escapeInString', () => {
  it('escapes both quote characters so the value fits either kind of string', () => {
    expect(escapeInString(`a"b'c\\`)).toBe(`a\\"b\\'c\\\\`);
  });
});

describe('quoteField', () => {
  it.each([
    ['identifier', 'service', 'service'],
    ['dots and dashes', 'assignee.group-name', 'assignee.group-name'],
    ['underscore start', '_id', '_id'],
    ['keyword', 'in', '`in`'],
    ['keyword in capitals', 'NULL', '`NULL`'],
    ['space', 'first name', '`first name`'],
    ['leading digit', '1st', '`1st`'],
    ['backquote', 'a`b', '`a\\`b`'],
  ])('%s', (_, input, want) => {
    expect(quoteField(input)).toBe(want);
  });
});

describe('formatFilterVariable', () => {
  it('turns several values into a quoted list for "in (...)"', () => {
    expect(formatFilterVariable(['checkout', 'pay "now"'], { multi: true })).toBe('"checkout", "pay \\"now\\""');
  });
  it('quotes a single value of a multi-value variable, so "in ($var)" still parses', () => {
    expect(formatFilterVariable('checkout', { multi: true })).toBe('"checkout"');
  });
  it('quotes the single value of a variable with an All option', () => {
    expect(formatFilterVariable('checkout', { includeAll: true })).toBe('"checkout"');
  });
  it('inserts a single-value variable as it is, escaped for the quotes around it', () => {
    expect(formatFilterVariable('say "hi"', { multi: false })).toBe('say \\"hi\\"');
  });
  it('leaves a number bare', () => {
    expect(formatFilterVariable('2', undefined)).toBe('2');
    expect(formatFilterVariable(2, { multi: true })).toBe('2');
  });
  it('writes nothing for no value', () => {
    expect(formatFilterVariable(undefined)).toBe('');
    expect(formatFilterVariable(null)).toBe('');
  });
});

describe('other variable formats', () => {
  it('search joins words with spaces', () => {
    expect(formatSearchVariable(['db', 'timeout'])).toBe('db timeout');
    expect(formatSearchVariable('db')).toBe('db');
  });
  it('lists join with commas', () => {
    expect(formatListVariable(['id', 'title'])).toBe('id,title');
  });
  it('a single field takes the first value', () => {
    expect(formatSingleVariable(['service', 'region'])).toBe('service');
    expect(formatSingleVariable([])).toBe('');
    expect(formatSingleVariable('region')).toBe('region');
  });
});

describe('adHocFilterToExpression', () => {
  // The meaning of each operator is pkg/filter FromAdHoc's; these are its filter-language twins.
  it.each([
    ['=', { key: 'service', operator: '=', value: 'checkout' }, 'service = "checkout"'],
    ['!=', { key: 'service', operator: '!=', value: 'checkout' }, 'service != "checkout"'],
    ['= empty is null', { key: 'resolved', operator: '=', value: '' }, 'resolved is null'],
    ['!= empty is not null', { key: 'resolved', operator: '!=', value: '' }, 'resolved is not null'],
    ['=~', { key: 'region', operator: '=~', value: '^eu-\\d' }, 'region =~ "^eu-\\\\d"'],
    ['!~', { key: 'region', operator: '!~', value: '^us-' }, 'region !~ "^us-"'],
    ['<', { key: 'severity', operator: '<', value: '3' }, 'severity < "3"'],
    ['<=', { key: 'severity', operator: '<=', value: '3' }, 'severity <= "3"'],
    ['>', { key: 'severity', operator: '>', value: '1' }, 'severity > "1"'],
    ['>=', { key: 'created', operator: '>=', value: '2024-05-01' }, 'created >= "2024-05-01"'],
    ['=|', { key: 'service', operator: '=|', value: 'a', values: ['a', 'b'] }, 'service in ("a", "b")'],
    ['!=|', { key: 'service', operator: '!=|', value: 'a', values: ['a', 'b'] }, 'service not in ("a", "b")'],
    ['=| without values uses value', { key: 'service', operator: '=|', value: 'a' }, 'service in ("a")'],
    ['keyword key', { key: 'in', operator: '=', value: 'x' }, '`in` = "x"'],
  ])('%s', (_, filter, want) => {
    expect(adHocFilterToExpression(filter)).toBe(want);
  });

  it('leaves out what it cannot write', () => {
    expect(adHocFilterToExpression({ key: 'a', operator: '=|', value: '' })).toBeUndefined();
    expect(adHocFilterToExpression({ key: 'a', operator: 'groupBy', value: '' })).toBeUndefined();
  });

  it('ANDs several filters', () => {
    expect(
      adHocFiltersToExpression([
        { key: 'service', operator: '=', value: 'checkout' },
        { key: 'x', operator: 'bogus', value: '1' },
        { key: 'severity', operator: '<=', value: '2' },
      ])
    ).toBe('service = "checkout" and severity <= "2"');
  });
});

describe('byteOffsetToIndex', () => {
  it.each([
    // text, UTF-8 byte offset, UTF-16 index
    ['ascii', 'a = 1', 4, 4],
    ['after a two-byte character', 'é = 1', 3, 2],
    ['inside a two-byte character', 'é = 1', 1, 0],
    ['after a four-byte character (a surrogate pair)', '🌍 = x', 5, 3],
    ['three-byte characters', '日本 = x', 6, 2],
    ['past the end', 'abc', 10, 3],
    ['at the start', 'abc', 0, 0],
  ])('%s', (_, text, offset, want) => {
    expect(byteOffsetToIndex(text, offset)).toBe(want);
  });

  it('agrees with TextEncoder on every character boundary', () => {
    const text = 'sévérité = "🌍" and 服务 != "x"';
    let index = 0;
    for (const ch of text) {
      const bytes = new TextEncoder().encode(text.slice(0, index)).length;
      expect(byteOffsetToIndex(text, bytes)).toBe(index);
      index += ch.length;
    }
  });
});
