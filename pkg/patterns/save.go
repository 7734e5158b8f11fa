package patterns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// A miner is saved whole (its words, patterns, tree and table of masked sequences), so
// that a process that restarts from a saved engine gives every text the pattern, and
// every pattern the id and template, it would have got without the restart. Mining the
// held texts again would not: the texts that founded patterns may have changed or
// left since, and a pattern would be founded anew on another text, under another id.
//
// The form is a sequence of unsigned varints (and 64-bit words for hashes), so that it
// does not depend on the machine; it starts with saveFormat, which a change of the form,
// of the masking or of the hash must raise (a saved miner of another format is refused,
// and the caller mines again).

// saveFormat is the version of the saved form and of everything that makes a pattern
// what it is (the masking and the hash). 2: quoted values are masked whole only when
// their words are all plain words.
const saveFormat = 2

// errDamaged is wrapped by every error of Load about the bytes themselves.
var errDamaged = errors.New("the saved patterns are damaged")

// AppendBinary appends the miner's state to b. The options are not saved: Load is given
// them again (the caller's own settings).
func (m *Miner) AppendBinary(b []byte) []byte {
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	u(saveFormat)
	u(uint64(len(m.wordList) - 1))
	for _, w := range m.wordList[1:] {
		u(uint64(len(w)))
		b = append(b, w...)
	}
	u(uint64(len(m.clusters)))
	for i := range m.clusters {
		c := &m.clusters[i]
		b = binary.LittleEndian.AppendUint64(b, c.id)
		u(uint64(c.seen))
		u(uint64(len(c.tmpl)))
		for _, w := range c.tmpl {
			u(uint64(w))
		}
	}
	lengths := make([]int, 0, len(m.byLen))
	for n := range m.byLen {
		lengths = append(lengths, n)
	}
	slices.Sort(lengths) // the same miner saves to the same bytes
	u(uint64(len(lengths)))
	for _, n := range lengths {
		u(uint64(n))
		b = appendNode(b, m.byLen[n])
	}
	u(uint64(m.seqs.len()))
	m.seqs.each(func(h uint64, v uint32) {
		b = binary.LittleEndian.AppendUint64(b, h)
		u(uint64(v))
	})
	return b
}

func appendNode(b []byte, n *node) []byte {
	b = binary.AppendUvarint(b, uint64(len(n.clusters)))
	for _, c := range n.clusters {
		b = binary.AppendUvarint(b, uint64(c))
	}
	words := make([]uint32, 0, len(n.children))
	for w := range n.children {
		words = append(words, w)
	}
	slices.Sort(words)
	b = binary.AppendUvarint(b, uint64(len(words)))
	for _, w := range words {
		b = binary.AppendUvarint(b, uint64(w))
		b = appendNode(b, n.children[w])
	}
	return b
}

// decoder reads the saved form, remembering the first problem.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errDamaged, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("a number is cut short")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// count reads a count of items of at least min bytes each, refusing one that the bytes
// left cannot hold (so that a damaged count cannot ask for gigabytes).
func (d *decoder) count(what string, min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/min) {
		d.fail("%d %s cannot fit in the %d bytes left", n, what, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) below(what string, limit int) uint32 {
	v := d.uvarint()
	if d.err == nil && v >= uint64(limit) {
		d.fail("%s %d is beyond the %d there are", what, v, limit)
		return 0
	}
	return uint32(v)
}

func (d *decoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("a hash is cut short")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// maxSavedDepth bounds the tree's depth when reading it: Prefix levels below the length.
const maxSavedDepth = 64

// Load rebuilds a miner saved by AppendBinary, with the given options (those of the
// miner that was saved: they shape the tree). A saved miner of another format, or
// damaged bytes, is an error and no miner.
func Load(opts Options, saved []byte) (*Miner, error) {
	m := New(opts)
	d := &decoder{b: saved}
	if f := d.uvarint(); d.err == nil && f != saveFormat {
		return nil, fmt.Errorf("the saved patterns have format %d, this build reads %d", f, saveFormat)
	}
	for range d.count("words", 1) {
		n := d.count("bytes of a word", 1)
		if d.err != nil {
			break
		}
		w := string(d.b[:n])
		d.b = d.b[n:]
		if _, dup := m.words[w]; dup {
			d.fail("the word %q is given twice", w)
			break
		}
		m.intern(w)
	}
	nWords := len(m.wordList)
	nClusters := d.count("patterns", 10)
	if d.err == nil {
		m.clusters = make([]cluster, 0, nClusters)
	}
	for range nClusters {
		c := cluster{id: d.uint64()}
		seen := d.uvarint()
		if seen > math.MaxInt64 {
			d.fail("a pattern's count is beyond 63 bits")
		}
		c.seen = int64(seen)
		c.tmpl = make([]uint32, d.count("words of a template", 1))
		for i := range c.tmpl {
			c.tmpl[i] = d.below("word", nWords)
		}
		if d.err != nil {
			break
		}
		m.clusters = append(m.clusters, c)
	}
	placed := make([]bool, len(m.clusters))
	for range d.count("lengths", 2) {
		n := d.uvarint()
		if d.err == nil && n > maxTokens {
			d.fail("a length of %d words is beyond the %d a text has", n, maxTokens)
		}
		if d.err != nil {
			break
		}
		if _, dup := m.byLen[int(n)]; dup {
			d.fail("the length %d is given twice", n)
			break
		}
		m.byLen[int(n)] = m.readNode(d, int(n), 0, placed)
	}
	for range d.count("masked sequences", 9) {
		h := d.uint64()
		c := d.below("pattern", len(m.clusters))
		if d.err != nil {
			break
		}
		m.seqs.put(h, c)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes follow the end", len(d.b))
	}
	for c, ok := range placed {
		if d.err == nil && !ok {
			d.fail("pattern %d is in no leaf of the tree", c)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

// readNode reads a node of the tree under the length n, at the given depth below it; a
// pattern's template must have the leaf's length, and be in one leaf only.
func (m *Miner) readNode(d *decoder, n, depth int, placed []bool) *node {
	nd := &node{}
	if k := d.count("patterns of a leaf", 1); k > 0 {
		nd.clusters = make([]uint32, 0, k)
		for range k {
			c := d.below("pattern", len(m.clusters))
			if d.err != nil {
				return nd
			}
			if placed[c] || len(m.clusters[c].tmpl) != n {
				d.fail("pattern %d is in two leaves, or under another length", c)
				return nd
			}
			placed[c] = true
			nd.clusters = append(nd.clusters, c)
		}
	}
	k := d.count("children", 2)
	if k > 0 && depth >= maxSavedDepth {
		d.fail("the tree is deeper than %d", maxSavedDepth)
		return nd
	}
	for range k {
		w := d.below("word", len(m.wordList))
		if d.err != nil {
			return nd
		}
		if nd.children == nil {
			nd.children = make(map[uint32]*node, k)
		}
		if _, dup := nd.children[w]; dup {
			d.fail("a child is given twice")
			return nd
		}
		nd.children[w] = m.readNode(d, n, depth+1, placed)
	}
	return nd
}
