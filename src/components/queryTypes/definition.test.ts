import { CoreApp } from '@grafana/data';

import { alertingNotices, editorId, NOT_A_TIME_SERIES, QueryTypeDefinition } from './definition';
import { QUERY_TYPE_REGISTRY } from './registry';

const query = { refId: 'A' };

describe('alertingNotices', () => {
  it('says nothing outside alert rules', () => {
    for (const app of [CoreApp.PanelEditor, CoreApp.Explore, CoreApp.Dashboard, undefined]) {
      expect(alertingNotices(QUERY_TYPE_REGISTRY.tickets, query, app)).toEqual([]);
    }
  });

  it('asks for a time series when the type answers none, or is unknown', () => {
    expect(alertingNotices(QUERY_TYPE_REGISTRY.breakdown, query, CoreApp.UnifiedAlerting)).toEqual([NOT_A_TIME_SERIES]);
    expect(alertingNotices(undefined, query, CoreApp.UnifiedAlerting)).toEqual([NOT_A_TIME_SERIES]);
    expect(alertingNotices(QUERY_TYPE_REGISTRY.counts, query, CoreApp.UnifiedAlerting)).toEqual([]);
  });

  it("adds the type's own advice, given the query", () => {
    const def: QueryTypeDefinition = {
      ...QUERY_TYPE_REGISTRY.counts,
      alertingNotice: (q) =>
        q.splitBy ? undefined : { severity: 'warning', title: 'Split it', text: 'One series per service.' },
    };
    expect(alertingNotices(def, query, CoreApp.UnifiedAlerting).map((n) => n.title)).toEqual(['Split it']);
    expect(alertingNotices(def, { ...query, splitBy: 'service' }, CoreApp.UnifiedAlerting)).toEqual([]);
    const notTimeSeries = { ...def, timeSeries: false };
    expect(alertingNotices(notTimeSeries, query, CoreApp.UnifiedAlerting).map((n) => n.title)).toEqual([
      NOT_A_TIME_SERIES.title,
      'Split it',
    ]);
  });

  it('asks a spike query in an alert rule for one series', () => {
    const spike = QUERY_TYPE_REGISTRY.spike;
    const titles = (series?: Array<'rate' | 'ratio'>) =>
      alertingNotices(spike, { ...query, queryType: 'spike', series }, CoreApp.UnifiedAlerting).map((n) => n.title);
    expect(titles()).toEqual(['Ask for one series']);
    expect(titles(['rate', 'ratio'])).toEqual(['Ask for one series']);
    expect(titles(['ratio'])).toEqual([]);
  });
});

describe('editorId', () => {
  it("names a control by the query's refId, so that two queries' editors do not share ids", () => {
    expect(editorId('A', 'top')).toBe('spacetime-A-top');
    expect(editorId('B', 'top')).not.toBe(editorId('A', 'top'));
  });
});
