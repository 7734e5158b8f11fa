/**
 * SCHEMA_TEMPLATE is where an inline schema starts: a small, valid schema in the shape of the
 * built-in one (pkg/schema/default.yaml), to be edited rather than written from nothing.
 */
export const SCHEMA_TEMPLATE = `# The column schema: which fields a ticket has. Start from this, or paste the output of
# \`spacetime schema\` (the built-in schema) and change it.
key: id
version: updated
time: created
open: resolved is null
columns:
  - {name: id, type: string, title: Ticket, link: "https://tickets.example.com/browse/\${__value.raw}"}
  - {name: severity, type: number, title: Sev, facet: true}
  - {name: title, type: text, title: Title}
  - {name: service, type: string, title: Service, facet: true}
  - {name: region, type: string, title: Region, facet: true}
  - {name: status, type: string, title: Status, facet: true}
  - {name: created, type: time, title: Created, unit: dateTimeAsIso}
  - {name: updated, type: time, title: Updated, table: false}
  - {name: resolved, type: time, title: Resolved, table: false}
  - {name: description, type: text, title: Description, detail: true}
table:
  sort:
    - {field: created, desc: true}
  limit: 200
defaults:
  filter: ""
`;
