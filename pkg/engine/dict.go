package engine

import (
	"encoding/binary"
	"hash/maphash"
	"unsafe"
)

// The arena keeps the bytes of dictionary strings in chunks that are never moved or
// rewritten, so a million keys cost a few allocations rather than a million, and a
// string handed out by get stays valid for the life of the engine.
//
// A reference is 32 bits: with the top bit clear, an 11-bit chunk number and a 20-bit
// offset to a uvarint length and the bytes; with the top bit set, an index into big,
// which holds strings too long for a chunk (and everything once the chunks run out).
const (
	chunkOffsetBits = 20
	maxChunkSize    = 1 << chunkOffsetBits
	maxChunks       = 1 << 11
	firstChunkSize  = 4 << 10
	maxInline       = 32 << 10
	bigRef          = 1 << 31
)

type arena struct {
	chunks [][]byte
	big    []string
}

func (a *arena) add(s string) uint32 {
	n := uvarintLen(uint64(len(s))) + len(s)
	if len(s) >= maxInline {
		return a.addBig(s)
	}
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < n {
		if len(a.chunks) == maxChunks {
			return a.addBig(s)
		}
		size := firstChunkSize
		if last >= 0 {
			size = min(2*cap(a.chunks[last]), maxChunkSize)
		}
		a.chunks = append(a.chunks, make([]byte, 0, size))
		last++
	}
	c := a.chunks[last]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(s)))
	c = append(c, s...)
	a.chunks[last] = c
	return uint32(last)<<chunkOffsetBits | uint32(off)
}

func (a *arena) addBig(s string) uint32 {
	a.big = append(a.big, string([]byte(s)))
	return bigRef | uint32(len(a.big)-1)
}

// get returns the string at ref. It aliases the arena: callers that keep it past the
// engine's lock must not, since the arena is only ever appended to; they still clone
// strings that leave the engine so the caller owns plain strings.
func (a *arena) get(ref uint32) string {
	if ref&bigRef != 0 {
		return a.big[ref&^bigRef]
	}
	c := a.chunks[ref>>chunkOffsetBits]
	off := int(ref & (maxChunkSize - 1))
	n, k := binary.Uvarint(c[off:])
	if n == 0 {
		return ""
	}
	return unsafe.String(&c[off+k], int(n))
}

func (a *arena) bytes() int {
	n := 0
	for _, c := range a.chunks {
		n += cap(c)
	}
	for _, s := range a.big {
		n += len(s) + 16
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// dict interns strings: each distinct string gets a dense id in insertion order. It is
// an open-addressing hash table split into 256 shards by the top bits of the hash, so a
// shard that fills up rehashes a few thousand slots, never the whole table: a big load
// has no long pause in which readers would wait. A slot holds 32 bits of the hash and
// the id + 1, so probing compares strings only on a hash match and rehashing never reads
// the strings.
type dict struct {
	arena  arena
	refs   []uint32 // id -> arena reference
	seed   maphash.Seed
	shards [256]dictShard
}

type dictShard struct {
	slots []uint64
	n     int
}

func newDict() *dict { return &dict{seed: maphash.MakeSeed()} }

func (d *dict) len() int { return len(d.refs) }

func (d *dict) get(id uint32) string { return d.arena.get(d.refs[id]) }

func (d *dict) hash(s string) uint64 { return maphash.String(d.seed, s) }

// find returns the id of s, or false.
func (d *dict) find(s string) (uint32, bool) {
	id, _, ok := d.lookup(s)
	return id, ok
}

func (d *dict) lookup(s string) (uint32, uint64, bool) {
	h := d.hash(s)
	sh := &d.shards[h>>56]
	if len(sh.slots) == 0 {
		return 0, h, false
	}
	tag := uint32(h)
	mask := uint32(len(sh.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		slot := sh.slots[i]
		if slot == 0 {
			return 0, h, false
		}
		if uint32(slot>>32) == tag {
			id := uint32(slot) - 1
			if d.get(id) == s {
				return id, h, true
			}
		}
	}
}

// intern returns the id of s, adding a copy of it when it is new.
func (d *dict) intern(s string) (uint32, bool) {
	id, h, ok := d.lookup(s)
	if ok {
		return id, false
	}
	return d.insert(s, h), true
}

// appendNull adds an entry that no lookup finds: value dictionaries keep id 0 for null.
func (d *dict) appendNull() { d.refs = append(d.refs, d.arena.add("")) }

func (d *dict) insert(s string, h uint64) uint32 {
	id := uint32(len(d.refs))
	d.refs = append(d.refs, d.arena.add(s))
	sh := &d.shards[h>>56]
	if (sh.n+1)*4 > len(sh.slots)*3 {
		sh.grow()
	}
	sh.put(uint64(uint32(h))<<32 | uint64(id+1))
	sh.n++
	return id
}

func (sh *dictShard) put(slot uint64) {
	mask := uint32(len(sh.slots) - 1)
	for i := uint32(slot>>32) & mask; ; i = (i + 1) & mask {
		if sh.slots[i] == 0 {
			sh.slots[i] = slot
			return
		}
	}
}

func (sh *dictShard) grow() {
	old := sh.slots
	size := 8
	if len(old) > 0 {
		size = 2 * len(old)
	}
	sh.slots = make([]uint64, size)
	for _, s := range old {
		if s != 0 {
			sh.put(s)
		}
	}
}

func (d *dict) bytes() int {
	n := d.arena.bytes() + 4*cap(d.refs)
	for i := range d.shards {
		n += 8 * cap(d.shards[i].slots)
	}
	return n
}

// growSlice returns s with capacity for at least n elements, growing by a quarter at
// least so that repeated small reservations stay amortised.
func growSlice[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s
	}
	c := max(n, cap(s)+cap(s)/4, 64)
	out := make([]T, len(s), c)
	copy(out, s)
	return out
}

// codeVec holds one dictionary code per row in the narrowest width that fits the
// dictionary: one byte until 255 values, two until 65 535, then four. Most facets fit in
// a byte, which makes their scans four times lighter on memory.
type codeVec struct {
	width uint8 // 1, 2 or 4
	b1    []uint8
	b2    []uint16
	b4    []uint32
}

func newCodeVec() codeVec { return codeVec{width: 1} }

func (v *codeVec) len() int {
	switch v.width {
	case 1:
		return len(v.b1)
	case 2:
		return len(v.b2)
	}
	return len(v.b4)
}

func (v *codeVec) get(row uint32) uint32 {
	switch v.width {
	case 1:
		return uint32(v.b1[row])
	case 2:
		return uint32(v.b2[row])
	}
	return v.b4[row]
}

// fit widens the vector so that it can hold code.
func (v *codeVec) fit(code uint32) {
	switch {
	case v.width == 1 && code > 0xff:
		if code > 0xffff {
			v.b4 = widen[uint8, uint32](v.b1)
			v.width, v.b1 = 4, nil
		} else {
			v.b2 = widen[uint8, uint16](v.b1)
			v.width, v.b1 = 2, nil
		}
	case v.width == 2 && code > 0xffff:
		v.b4 = widen[uint16, uint32](v.b2)
		v.width, v.b2 = 4, nil
	}
}

func widen[F, T uint8 | uint16 | uint32](from []F) []T {
	out := make([]T, len(from), cap(from))
	for i, c := range from {
		out[i] = T(c)
	}
	return out
}

func (v *codeVec) set(row, code uint32) {
	v.fit(code)
	switch v.width {
	case 1:
		v.b1[row] = uint8(code)
	case 2:
		v.b2[row] = uint16(code)
	default:
		v.b4[row] = code
	}
}

// appendNulls adds n rows with code 0.
func (v *codeVec) appendNulls(n int) {
	switch v.width {
	case 1:
		v.b1 = appendZeros(v.b1, n)
	case 2:
		v.b2 = appendZeros(v.b2, n)
	default:
		v.b4 = appendZeros(v.b4, n)
	}
}

func (v *codeVec) reserve(n int) {
	switch v.width {
	case 1:
		v.b1 = growSlice(v.b1, n)
	case 2:
		v.b2 = growSlice(v.b2, n)
	default:
		v.b4 = growSlice(v.b4, n)
	}
}

func (v *codeVec) bytes() int {
	return cap(v.b1) + 2*cap(v.b2) + 4*cap(v.b4)
}

func appendZeros[T any](s []T, n int) []T {
	var zero T
	for range n {
		s = append(s, zero)
	}
	return s
}
