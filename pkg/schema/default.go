package schema

import (
	_ "embed"
	"fmt"
)

//go:embed default.yaml
var defaultText []byte

// DefaultText is the default schema as YAML, for users to copy and edit.
func DefaultText() []byte { return append([]byte(nil), defaultText...) }

// Default returns the default schema for typical high-severity tickets. Each call returns a
// fresh copy that the caller may keep.
func Default() *Schema {
	s, err := Parse(defaultText)
	if err != nil {
		// The file is part of the binary and covered by tests; failing here is a build bug.
		panic(fmt.Sprintf("the embedded default schema is invalid: %v", err))
	}
	return s
}
