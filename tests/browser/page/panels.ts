// How Grafana prepares a panel's data before the panel draws it, built from @grafana/data's
// published functions: the panel's transformations (transformDataFrame), the panel plugin's
// field config defaults (getPanelOptionsWithDefaults) and the field overrides
// (applyFieldOverrides with the plugin's field config registry).
//
// What Grafana keeps in its core and does not publish is declared here, and only as far as
// the rendered panels need it; each part names the Grafana file it follows:
// - the standard field options (unit, decimals, display name, links, mappings, thresholds...):
//   getAllStandardFieldConfigs in public/app/core/components/OptionsUI/registry.tsx, with
//   the override processors @grafana/data exports; their option editors are never drawn here;
// - the table panel's own field options: useFieldConfig in
//   public/app/plugins/panel/table/module.tsx (12.x, the TableNG panel);
// - the stat panel: .useFieldConfig() with the standard options only, in
//   public/app/plugins/panel/stat/module.tsx;
// - the transformers the overview's panels use, from @grafana/data's standardTransformers
//   (Grafana registers them in public/app/features/transformers/standardTransformers.ts).
import {
  applyFieldOverrides,
  DataFrame,
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  FieldConfigPropertyItem,
  FieldType,
  getPanelOptionsWithDefaults,
  GrafanaTheme2,
  identityOverrideProcessor,
  numberOverrideProcessor,
  PanelPlugin,
  standardEditorsRegistry,
  standardFieldConfigEditorRegistry,
  StandardEditorsRegistryItem,
  standardTransformers,
  standardTransformersRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  ThresholdsMode,
  transformDataFrame,
  TransformerRegistryItem,
  valueMappingsOverrideProcessor,
} from '@grafana/data';
import { defaultTableFieldOptions, TableCellOptions } from '@grafana/schema';
import { lastValueFrom } from 'rxjs';

import type { PanelJSON } from './spec';

/** Option editors are UI for the panel editor, which this page never shows. */
const NoEditor = () => null;

const EDITOR_IDS = [
  'number',
  'slider',
  'text',
  'strings',
  'boolean',
  'radio',
  'select',
  'multi-select',
  'unit',
  'color',
  'fieldColor',
  'links',
  'stats-picker',
  'timezone',
  'field-name',
  'dashboard-uid',
  'mappings',
  'thresholds',
];

function standardFieldConfigs(): FieldConfigPropertyItem[] {
  const item = (
    id: string,
    process: FieldConfigPropertyItem['process'],
    shouldApply: FieldConfigPropertyItem['shouldApply'],
    defaultValue?: unknown
  ): FieldConfigPropertyItem => ({
    id,
    path: id,
    name: id,
    editor: NoEditor,
    override: NoEditor,
    process,
    shouldApply,
    defaultValue,
  });
  const always = () => true;
  const numbers: FieldConfigPropertyItem['shouldApply'] = (f) => f.type === FieldType.number;
  return [
    item('unit', stringOverrideProcessor, always),
    item('min', numberOverrideProcessor, numbers),
    item('max', numberOverrideProcessor, numbers),
    item('decimals', numberOverrideProcessor, numbers),
    item('displayName', displayNameOverrideProcessor, always),
    item('color', identityOverrideProcessor, always),
    item('noValue', stringOverrideProcessor, always),
    item('links', dataLinksOverrideProcessor, always),
    item('mappings', valueMappingsOverrideProcessor, (f) => f.type !== FieldType.time, []),
    item('thresholds', thresholdsOverrideProcessor, always, {
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: -Infinity, color: 'green' },
        { value: 80, color: 'red' },
      ],
    }),
  ];
}

let registered = false;

/** register fills the registries Grafana fills when it starts; once per page. */
function register() {
  if (registered) {
    return;
  }
  registered = true;
  standardEditorsRegistry.setInit(() =>
    EDITOR_IDS.map((id): StandardEditorsRegistryItem => ({ id, name: id, editor: NoEditor }))
  );
  standardFieldConfigEditorRegistry.setInit(standardFieldConfigs);
  // standardTransformers lists some transformers twice, under an old name too
  // (seriesToColumns is joinByField): a registry holds each id once.
  const transformers = new Map(Object.values(standardTransformers).map((t) => [t.id, t]));
  standardTransformersRegistry.setInit(() =>
    Array.from(transformers.values()).map((transformation): TransformerRegistryItem => ({
      id: transformation.id,
      name: transformation.name,
      transformation,
      editor: NoEditor,
      imageDark: '',
      imageLight: '',
    }))
  );
}

let tablePlugin: PanelPlugin | undefined;
let statPlugin: PanelPlugin | undefined;

function panelPlugin(type: string): PanelPlugin {
  register();
  if (type === 'table') {
    tablePlugin ??= new PanelPlugin(NoEditor).useFieldConfig({
      useCustomConfig: (builder) => {
        builder
          .addNumberInput({ path: 'minWidth', name: 'minWidth', defaultValue: defaultTableFieldOptions.minWidth })
          .addNumberInput({ path: 'width', name: 'width', defaultValue: defaultTableFieldOptions.width })
          .addRadio({ path: 'align', name: 'align', defaultValue: defaultTableFieldOptions.align })
          .addBooleanSwitch({
            path: 'filterable',
            name: 'filterable',
            defaultValue: defaultTableFieldOptions.filterable,
          })
          .addBooleanSwitch({ path: 'wrapText', name: 'wrapText' })
          .addBooleanSwitch({ path: 'wrapHeaderText', name: 'wrapHeaderText' })
          .addBooleanSwitch({ path: 'hideFrom.viz', name: 'hideFrom.viz', hideFromDefaults: true })
          .addCustomEditor<void, TableCellOptions>({
            id: 'cellOptions',
            path: 'cellOptions',
            name: 'cellOptions',
            editor: NoEditor,
            override: NoEditor,
            defaultValue: defaultTableFieldOptions.cellOptions,
            process: identityOverrideProcessor,
            shouldApply: () => true,
          })
          .addBooleanSwitch({ path: 'inspect', name: 'inspect', defaultValue: false });
      },
    });
    return tablePlugin;
  }
  if (type === 'stat') {
    statPlugin ??= new PanelPlugin(NoEditor).useFieldConfig();
    return statPlugin;
  }
  throw new Error(`the page does not render ${type} panels`);
}

/**
 * panelFrames turns a query's frames into the frames a panel draws, as Grafana's panel query
 * runner does: transformations first, then the field config with the plugin's defaults and
 * the panel's overrides.
 */
export async function panelFrames(panel: PanelJSON, frames: DataFrame[], theme: GrafanaTheme2): Promise<DataFrame[]> {
  const plugin = panelPlugin(panel.type);
  const transformed = await lastValueFrom(transformDataFrame(panel.transformations ?? [], frames));
  const { fieldConfig } = getPanelOptionsWithDefaults({
    plugin,
    currentOptions: panel.options,
    currentFieldConfig: panel.fieldConfig,
    isAfterPluginChange: false,
  });
  return applyFieldOverrides({
    data: transformed,
    fieldConfig,
    fieldConfigRegistry: plugin.fieldConfigRegistry,
    replaceVariables: (value: string) => value,
    theme,
    timeZone: 'utc',
  });
}
