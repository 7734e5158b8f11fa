// The field options Grafana registers at start-up, which applyFieldOverrides and panels look up by
// id: an override or a default whose id the registry lacks is dropped without a word
// (setDynamicConfigValue and setFieldConfigDefaults in @grafana/data's field/fieldOverrides.ts).
// Grafana's own list is application code (getAllStandardFieldConfigs in
// public/app/core/components/OptionsUI/registry.tsx); this one names the same ids with the
// processors @grafana/data publishes and the same shouldApply rules, and nothing else: no editors.

import {
  FieldConfigOptionsRegistry,
  FieldConfigPropertyItem,
  FieldType,
  PanelPlugin,
  booleanOverrideProcessor,
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  identityOverrideProcessor,
  numberOverrideProcessor,
  standardFieldConfigEditorRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  valueMappingsOverrideProcessor,
} from '@grafana/data';

const noEditor = () => null;

type Process = FieldConfigPropertyItem['process'];

function option(
  id: string,
  process: Process,
  shouldApply: FieldConfigPropertyItem['shouldApply'],
  settings?: object
): FieldConfigPropertyItem {
  return { id, path: id, name: id, process, shouldApply, settings, editor: noEditor, override: noEditor };
}

const always = () => true;
const numbers: FieldConfigPropertyItem['shouldApply'] = (f) => f.type === FieldType.number;

/** The standard options of Grafana 12 and 13 (registry.tsx), by id. */
export function standardFieldConfigs(): FieldConfigPropertyItem[] {
  return [
    option('unit', stringOverrideProcessor, always),
    option('min', numberOverrideProcessor, numbers),
    option('max', numberOverrideProcessor, numbers),
    option('fieldMinMax', booleanOverrideProcessor, numbers),
    option('decimals', numberOverrideProcessor, numbers),
    // Grafana expands variables in a display name when it is set (expandTemplateVars).
    option('displayName', displayNameOverrideProcessor, always, { expandTemplateVars: true }),
    option('color', identityOverrideProcessor, always),
    option('noValue', stringOverrideProcessor, always),
    option('links', dataLinksOverrideProcessor, always),
    option('mappings', valueMappingsOverrideProcessor, (f) => f.type !== FieldType.time),
    option('thresholds', thresholdsOverrideProcessor, always),
    option('filterable', booleanOverrideProcessor, always),
  ];
}

export function initFieldConfigRegistry(): void {
  standardFieldConfigEditorRegistry.setInit(standardFieldConfigs);
}

/**
 * panelFieldConfigRegistry is the registry of one panel: the standard options and the panel's
 * custom options, made by @grafana/data's PanelPlugin.useFieldConfig as a panel plugin makes it.
 * The custom options are those the panel's JSON sets (fieldConfig.defaults.custom and custom.*
 * overrides), each passed on as it is: the core panels (table, pie chart, bar chart, time
 * series) declare them in their module.tsx, which is not published.
 */
export function panelFieldConfigRegistry(customPaths: string[]): FieldConfigOptionsRegistry {
  const panel = new PanelPlugin(null).useFieldConfig({
    useCustomConfig: (builder) => {
      for (const p of customPaths) {
        builder.addCustomEditor({
          id: p,
          path: p,
          name: p,
          editor: noEditor,
          override: noEditor,
          process: identityOverrideProcessor,
          shouldApply: always,
        });
      }
    },
  });
  return panel.fieldConfigRegistry;
}
