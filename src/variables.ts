import { CustomVariableSupport, DataQueryRequest, DataQueryResponse, FieldType, createDataFrame } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { from, Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import { formatFilterVariable, formatSingleVariable } from './filterLanguage';
import { TicketsApi, TicketsDataSourceApi, TicketsOptions, TicketsQuery, VariableQuery } from './types';

/** How many values a variable lists when its query sets no limit. */
export const VARIABLE_VALUES_LIMIT = 1000;

/**
 * normalizeVariableQuery accepts what a dashboard may hold: the query object this editor
 * writes, or a bare string (a field name) as older or hand-written dashboards have.
 */
export function normalizeVariableQuery(query: VariableQuery | string | undefined): VariableQuery {
  if (typeof query === 'string') {
    return { refId: 'SpacetimeVariable', field: query };
  }
  return query ?? { refId: 'SpacetimeVariable' };
}

/**
 * TicketsVariableSupport makes the values of one field a template variable, read from the
 * backend's values resource (most frequent first). Like grafana/clickhouse-datasource's
 * CHVariableSupport, it answers with a frame of string "text" and "value" fields, which is
 * what Grafana turns into variable options.
 */
export class TicketsVariableSupport extends CustomVariableSupport<
  TicketsDataSourceApi,
  VariableQuery,
  TicketsQuery,
  TicketsOptions
> {
  // The values come through TicketsApi, not the DataSource class, which builds this support:
  // importing it here would close an import cycle.
  constructor(private readonly datasource: TicketsApi) {
    super();
  }

  editor = VariableQueryEditor;

  query(request: DataQueryRequest<VariableQuery>): Observable<DataQueryResponse> {
    return from(this.run(request));
  }

  private async run(request: DataQueryRequest<VariableQuery>): Promise<DataQueryResponse> {
    const query = normalizeVariableQuery(request.targets[0]);
    const templateSrv = getTemplateSrv();
    const field = templateSrv.replace(query.field ?? '', request.scopedVars, formatSingleVariable).trim();
    if (field === '') {
      return { data: [] };
    }
    const filter = query.filter
      ? templateSrv.replace(query.filter, request.scopedVars, formatFilterVariable)
      : undefined;
    const prefix = query.prefix
      ? templateSrv.replace(query.prefix, request.scopedVars, formatSingleVariable)
      : undefined;
    const values = await this.datasource.getValues({
      field,
      prefix,
      filter,
      limit: query.limit && query.limit > 0 ? query.limit : VARIABLE_VALUES_LIMIT,
      range: request.range,
    });
    const kept = values.filter((v) => v.value !== '');
    const frame = createDataFrame({
      refId: query.refId,
      fields: [
        {
          name: 'text',
          type: FieldType.string,
          values: kept.map((v) => (query.showCounts ? `${v.value} (${v.count})` : v.value)),
        },
        { name: 'value', type: FieldType.string, values: kept.map((v) => v.value) },
      ],
    });
    return { data: [frame] };
  }
}
