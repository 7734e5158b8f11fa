import { FakeTemplateSrv, SCHEMA } from '../testing/fakes';
import { fieldOptions } from './fieldOptions';

let mockTemplateSrv = new FakeTemplateSrv();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => mockTemplateSrv,
}));

beforeEach(() => {
  mockTemplateSrv = new FakeTemplateSrv();
});

const values = (opts: Array<{ value?: string }>) => opts.map((o) => o.value);

describe('fieldOptions', () => {
  it('lists every column in display order, described by title, type and facet', () => {
    const opts = fieldOptions(SCHEMA);
    expect(values(opts)).toEqual([
      'id',
      'severity',
      'title',
      'status',
      'service',
      'region',
      'created',
      'resolved',
      'description',
    ]);
    expect(opts[1]).toEqual({ value: 'severity', label: 'severity', description: 'Sev · number · facet' });
    expect(opts[0].description).toBe('Ticket · string');
  });

  it('keeps only the facets when asked, in display order', () => {
    expect(values(fieldOptions(SCHEMA, { facetsOnly: true }))).toEqual(['severity', 'status', 'service', 'region']);
  });

  it('keeps the types asked for, facets first when asked', () => {
    expect(values(fieldOptions(SCHEMA, { types: ['time'] }))).toEqual(['created', 'resolved']);
    expect(values(fieldOptions(SCHEMA, { types: ['string', 'number'], facetsFirst: true }))).toEqual([
      'severity',
      'status',
      'service',
      'region',
      'id',
    ]);
  });

  it('offers the pattern field after the facets in a dimension picker, when the schema mines patterns', () => {
    const mining = { ...SCHEMA, patterns: { field: 'title', name: 'pattern' } };
    const opts = fieldOptions(mining, { types: ['string', 'number'], facetsFirst: true });
    expect(values(opts)).toEqual(['severity', 'status', 'service', 'region', 'pattern', 'id']);
    expect(opts[4].description).toBe('Pattern of title · string · facet');
    // Not where only numbers are asked for, not in the facets-only list, nor without the option.
    expect(values(fieldOptions(mining, { types: ['number'], facetsFirst: true }))).not.toContain('pattern');
    expect(values(fieldOptions(mining, { facetsOnly: true }))).not.toContain('pattern');
    expect(values(fieldOptions(SCHEMA, { facetsFirst: true }))).not.toContain('pattern');
  });

  it("offers the dashboard's variables after the fields", () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'field', value: 'service' }]);
    const opts = fieldOptions(SCHEMA, { types: ['time'] });
    expect(opts[opts.length - 1]).toEqual({
      value: '$field',
      label: '$field',
      description: 'variable',
      group: 'Variables',
    });
  });

  it('keeps current values the schema does not list, and says so, once each', () => {
    const opts = fieldOptions(SCHEMA, { types: ['time'], current: ['created', 'team', '', 'team'] });
    expect(values(opts)).toEqual(['created', 'resolved', 'team']);
    expect(opts[2].description).toBe('not in the schema');
    expect(values(fieldOptions(SCHEMA, { types: ['time'], current: 'closed' }))).toEqual([
      'created',
      'resolved',
      'closed',
    ]);
  });

  it('offers only variables and current values before the schema is read', () => {
    mockTemplateSrv = new FakeTemplateSrv([{ name: 'f', value: 'x' }]);
    expect(values(fieldOptions(undefined, { current: 'service' }))).toEqual(['$f', 'service']);
  });
});
