package ticket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// The value encoding is a kind byte per value followed by its payload: a uvarint length and
// the bytes of a string, 8 little-endian bytes of a float, a zigzag varint of a time, one
// byte of a bool, nothing for a null. It is compact, needs no schema to decode, and decodes
// a million records in well under a second, which start-up depends on.

// AppendValues appends the encoding of vals to dst.
func AppendValues(dst []byte, vals []Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vals)))
	for _, v := range vals {
		dst = append(dst, byte(v.Kind))
		switch v.Kind {
		case Str:
			dst = binary.AppendUvarint(dst, uint64(len(v.S)))
			dst = append(dst, v.S...)
		case Num:
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.F))
		case Time:
			dst = binary.AppendVarint(dst, v.I)
		case Bool:
			b := byte(0)
			if v.I != 0 {
				b = 1
			}
			dst = append(dst, b)
		}
	}
	return dst
}

var errShort = errors.New("ticket: encoded values are truncated")

// DecodeValues decodes values appended by AppendValues into dst (reused when large enough)
// and returns them with the number of bytes read. When alias is true the strings point into
// src instead of being copied: only safe while src stays unchanged, as during a store's
// read transaction.
func DecodeValues(src []byte, dst []Value, alias bool) ([]Value, int, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 {
		return nil, 0, errShort
	}
	if n > uint64(len(src)) {
		return nil, 0, fmt.Errorf("ticket: encoded value count %d exceeds the %d bytes given", n, len(src))
	}
	pos := k
	if cap(dst) < int(n) {
		dst = make([]Value, n)
	}
	dst = dst[:n]
	for i := range dst {
		if pos >= len(src) {
			return nil, 0, errShort
		}
		kind := Kind(src[pos])
		pos++
		v := Value{Kind: kind}
		switch kind {
		case Null:
		case Str:
			l, k := binary.Uvarint(src[pos:])
			if k <= 0 || uint64(len(src)-pos-k) < l {
				return nil, 0, errShort
			}
			pos += k
			b := src[pos : pos+int(l)]
			if alias && l > 0 {
				v.S = unsafe.String(&b[0], len(b))
			} else {
				v.S = string(b)
			}
			pos += int(l)
		case Num:
			if len(src)-pos < 8 {
				return nil, 0, errShort
			}
			v.F = math.Float64frombits(binary.LittleEndian.Uint64(src[pos:]))
			pos += 8
		case Time:
			x, k := binary.Varint(src[pos:])
			if k <= 0 {
				return nil, 0, errShort
			}
			v.I = x
			pos += k
		case Bool:
			if pos >= len(src) {
				return nil, 0, errShort
			}
			v.I = int64(src[pos] & 1)
			pos++
		default:
			return nil, 0, fmt.Errorf("ticket: unknown value kind %d at byte %d", kind, pos-1)
		}
		dst[i] = v
	}
	return dst, pos, nil
}
