package patterns

import (
	"fmt"
	"unsafe"
)

// The ids are hashes of masked word sequences with a fixed function (64-bit FNV-1a), so
// that they are the same in every process and every version that masks alike: they are
// kept in URLs and dashboards. A change of the masking or of this hash changes ids and
// must be named in the release notes.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	// wildByte and sepByte stand for a wildcard and a word boundary in the hash. Text
	// may hold these bytes too; the hash only has to tell sequences apart with high
	// probability, not to be unambiguous.
	wildByte = 0x00
	sepByte  = 0x1f
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvByte(h uint64, c byte) uint64 {
	h ^= uint64(c)
	return h * fnvPrime
}

// hashTokens hashes a masked sequence: its words, each masked part a wildcard.
func hashTokens(toks []token) uint64 {
	h := uint64(fnvOffset)
	for _, t := range toks {
		switch {
		case t.wild:
			h = fnvByte(h, wildByte)
		case t.part:
			h = fnvString(h, t.w[:t.a])
			h = fnvByte(h, wildByte)
			h = fnvString(h, t.w[t.b:])
		default:
			h = fnvString(h, t.w)
		}
		h = fnvByte(h, sepByte)
	}
	return h
}

// catchAllID is the id of the catch-all pattern of texts of n words.
func catchAllID(n int) uint64 {
	return fnvString(fnvOffset, fmt.Sprintf("\x00catch-all\x00%d", n))
}

// idAlphabet is Crockford's base 32 in lower case: no i, l, o, u, so that an id read
// aloud or copied by hand is not misread.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLen is the length of a pattern id: 64 bits in base 32.
const IDLen = 13

// FormatID writes a 64-bit id as IDLen characters of idAlphabet.
func FormatID(h uint64) string {
	var b [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[h&31]
		h >>= 5
	}
	return string(b[:])
}

var idValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(idAlphabet); i++ {
		t[idAlphabet[i]] = int8(i)
		if c := idAlphabet[i]; 'a' <= c && c <= 'z' {
			t[c-'a'+'A'] = int8(i)
		}
	}
	return t
}()

// ParseID reads an id written by FormatID (upper case accepted).
func ParseID(s string) (uint64, error) {
	if len(s) != IDLen {
		return 0, fmt.Errorf("%w: %q has %d characters, an id has %d", ErrBadID, s, len(s), IDLen)
	}
	var h uint64
	for i := 0; i < len(s); i++ {
		v := idValue[s[i]]
		if v < 0 {
			return 0, fmt.Errorf("%w: %q has %q, which no id has", ErrBadID, s, s[i])
		}
		if i == 0 && v > 15 { // 13 characters hold 65 bits; the first holds 4
			return 0, fmt.Errorf("%w: %q is beyond 64 bits", ErrBadID, s)
		}
		h = h<<5 | uint64(v)
	}
	return h, nil
}

// table maps 64-bit hashes to pattern numbers: open addressing with linear probing in
// one array of 12-byte slots (key, value), so that a million sequences cost about 16 MB
// rather than a Go map's 40. Key 0 marks an empty slot; a hash that is 0 is stored as 1
// (a collision of two sequences costs a text its own pattern, with a chance of 2^-64).
type table struct {
	keys []uint64
	vals []uint32
	n    int
}

func fixKey(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func (t *table) len() int { return t.n }

func (t *table) get(h uint64) (uint32, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	h = fixKey(h)
	mask := uint64(len(t.keys) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}

// put adds h unless it is there.
func (t *table) put(h uint64, v uint32) {
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	h = fixKey(h)
	mask := uint64(len(t.keys) - 1)
	for i := mix(h) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return
		case 0:
			t.keys[i], t.vals[i] = h, v
			t.n++
			return
		}
	}
}

func (t *table) grow() {
	old, oldVals := t.keys, t.vals
	size := max(64, 2*len(old))
	t.keys, t.vals, t.n = make([]uint64, size), make([]uint32, size), 0
	for i, k := range old {
		if k != 0 {
			t.put(k, oldVals[i])
		}
	}
}

// each calls fn for every entry, in slot order.
func (t *table) each(fn func(h uint64, v uint32)) {
	for i, k := range t.keys {
		if k != 0 {
			fn(k, t.vals[i])
		}
	}
}

func (t *table) bytes() int { return 12 * len(t.keys) }

// mix spreads an FNV hash's bits over the low ones the table indexes by.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

const clusterSize = unsafe.Sizeof(cluster{})
