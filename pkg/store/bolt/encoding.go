package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/spacetime/tickets/pkg/ticket"
)

// header is the part of a stored record before its values.
type header struct {
	version int64
	seq     uint64
	layout  uint64
	values  []byte
}

var errBadHeader = errors.New("the stored record's header is truncated: the file is damaged")

func decodeHeader(raw []byte) (header, error) {
	var h header
	var n int
	if h.version, n = binary.Varint(raw); n <= 0 {
		return h, errBadHeader
	}
	raw = raw[n:]
	if h.seq, n = binary.Uvarint(raw); n <= 0 {
		return h, errBadHeader
	}
	raw = raw[n:]
	if h.layout, n = binary.Uvarint(raw); n <= 0 {
		return h, errBadHeader
	}
	h.values = raw[n:]
	return h, nil
}

// encodeLayout stores column names with the value codec, as string values: one codec for
// everything in the file.
func encodeLayout(l *ticket.Layout) []byte {
	names := make([]ticket.Value, l.Len())
	for i, n := range l.Names() {
		names[i] = ticket.String(n)
	}
	return ticket.AppendValues(nil, names)
}

func decodeLayout(raw []byte) (*ticket.Layout, error) {
	vals, _, err := ticket.DecodeValues(raw, nil, false)
	if err != nil {
		return nil, fmt.Errorf("column names: %w", err)
	}
	names := make([]string, len(vals))
	for i, v := range vals {
		if v.Kind != ticket.Str {
			return nil, fmt.Errorf("column name %d is not a string: the file is damaged", i)
		}
		names[i] = v.S
	}
	return ticket.NewLayout(names), nil
}
