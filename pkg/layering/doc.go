// Package layering holds no code: its test reads the imports of every package of the
// module (go list) and fails when one breaks the layering that docs/architecture.md
// describes, such as the engine importing the plugin SDK, a source importing the engine,
// or any package but the plugin's main importing pkg/plugin. A new package is added to
// the map in layering_test.go, with its one responsibility and what it may import.
package layering
