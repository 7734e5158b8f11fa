import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { TicketsOptions, TicketsQuery, TicketsSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, TicketsQuery, TicketsOptions, TicketsSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
