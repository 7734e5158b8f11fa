import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { plugin } from './module';

describe('plugin', () => {
  it('registers the data source class and its editors with Grafana', () => {
    expect(plugin.DataSourceClass).toBe(DataSource);
    expect(plugin.components.ConfigEditor).toBe(ConfigEditor);
    expect(plugin.components.QueryEditor).toBe(QueryEditor);
  });
});
