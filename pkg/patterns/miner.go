// Package patterns groups short texts (ticket titles, log messages) into patterns online:
// each text gets the id of its pattern when it is added, so that the patterns of a
// stream of tickets are known as the tickets arrive, without a second pass.
//
// The method follows Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017): a text is split into words, the words that are plainly
// variable (numbers, ids, hosts, addresses...) are masked, and a tree of fixed depth,
// keyed by the number of words and the first words, leads to a short list of patterns
// of which the most similar one (the share of equal words) takes the text if it is
// similar enough; it then becomes more general where the text differs (a word becomes a
// wildcard). Otherwise the text founds a new pattern. Added to Drain:
//
//   - A table of every masked word sequence seen so far, which maps a text whose masked
//     form was seen before straight to its pattern. Most titles repeat a masked form
//     seen before, so most texts cost the scan and one hash lookup; and a text is always
//     given the same pattern as the first text of its masked form, which a tree search
//     alone does not promise (another pattern may have become more similar since).
//   - A plain word of a template (letters only) is not made a wildcard unless asked
//     (Options.WordThreshold): "CPU saturated" and "memory saturated" are two alarms.
//   - Runs of variable words are one wildcard, so that a value of several words does
//     not change a text's length.
//
// Merging patterns whose templates become equal (with a union-find, as the first
// version did) changed no grouping on any of the 16 LogHub data sets: with the table
// above a text never meets a second pattern of its own masked form, and generalization
// rarely makes two templates equal. So a pattern is never merged, and its number is its
// identity for good: the engine's rows keep the number they were given.
//
// # Pattern ids
//
// An id names a pattern in URLs and filters, so it must survive what happens after it
// was handed out. A pattern's id is a hash of the masked word sequence that founded it
// (13 lower-case base-32 characters). Generalizing a pattern changes its template, not
// its id, and never takes a text away from it: a pattern only gains texts, so an id
// selects the texts it selected before and more, never fewer. Every masked sequence
// that joined a pattern is also an alias of it (Resolve), so an id computed from the
// same texts in another order (a process that rebuilt its patterns from the store)
// resolves too when that order founded the pattern on another of its sequences.
//
// Patterns are deterministic: the same texts added in the same order give the same
// patterns, ids and templates, in any process (the hash is fixed, not seeded).
//
// A Miner is not safe for concurrent use: its owner serialises Add (the engine calls it
// under its write lock).
package patterns

import (
	"errors"
	"regexp"
	"strings"
)

// Options tune a Miner. The zero value is right for ticket titles.
type Options struct {
	// Threshold is the share of equal words (0..1) a text needs with a pattern to join
	// it; 0 means 0.5, as Drain's evaluation used for most logs.
	Threshold float64
	// Prefix is how many leading words the tree routes by, after the word count (Drain's
	// depth minus 2); 0 means 2.
	Prefix int
	// MaxChildren bounds the children of a tree node; beyond it, new words go to the
	// node's wildcard child. 0 means 100.
	MaxChildren int
	// MaxPatterns bounds the patterns held; once reached, a text that matches no
	// pattern joins the most similar one of its leaf however dissimilar (or a catch-all
	// of its length). 0 means 1<<20.
	MaxPatterns int
	// MaxLeaf bounds the patterns of one leaf of the tree, and so the work of placing a
	// text not seen before. A leaf that fills up is one whose plain words vary (user
	// names, say): from then on a text that matches none of its patterns joins the
	// most similar one as if WordThreshold were Threshold, and past that, the most
	// similar one however dissimilar. 0 means 64.
	MaxLeaf int
	// MaxAliases bounds the table of masked sequences; once full, new sequences are
	// looked up in the tree every time and are not aliases. 0 means 1<<22.
	MaxAliases int
	// Masks are regular expressions whose matches are masked before the words are
	// scanned, for variable parts that the built-in masking does not know (a log
	// format's own ids). They cost a pass of each expression over every text.
	Masks []*regexp.Regexp
	// KeepRuns keeps runs of variable words apart; by default a run of them is one
	// wildcard, so that a value of several words (a quoted name, a date) does not make
	// texts of one pattern differ in length.
	KeepRuns bool
	// ParamsDiffer counts a wildcard of a pattern as a difference even where the text
	// has a masked word too (Drain's original similarity); by default a masked word and
	// a wildcard are equal.
	ParamsDiffer bool
	// WordThreshold is the similarity a text needs to join a pattern whose template has
	// a plain word (letters only, such as "Paused" or "finalization.") where the text
	// has another word: the plain word then becomes a wildcard. 0 means never: by
	// default a plain word of a template must be equal in a text that joins it, since
	// titles and logs name what happened in plain words ("CPU saturated", "memory
	// saturated") and their variable parts are rarely plain words. Drain's behaviour is
	// WordThreshold = Threshold.
	WordThreshold float64
	// NoQuotes scans every quoted value word by word; by default a quoted value whose
	// words are all plain words (a name) is one variable part.
	NoQuotes bool
}

// wild is the token id of a wildcard in templates.
const wild = 0

// cluster is one pattern.
type cluster struct {
	tmpl []uint32
	// id is the hash of the masked sequence that founded the pattern.
	id uint64
	// seen counts the texts added to the pattern, updates included.
	seen int64
}

// node is a node of the parse tree.
type node struct {
	children map[uint32]*node
	clusters []uint32
}

// Miner mines patterns online. See the package comment.
type Miner struct {
	opts Options
	sc   scanner

	clusters []cluster
	// byLen is the first level of the tree: the number of words.
	byLen map[int]*node
	// words interns the words of templates; id 0 is the wildcard.
	words    map[string]uint32
	wordList []string
	// plain says, per word id, whether the word is a plain word (see LooseWords).
	plain []bool
	// seqs maps the hash of every masked sequence seen to the pattern it joined first.
	seqs table

	// scratch for the tree search.
	ids []uint32
}

// New returns an empty Miner.
func New(opts Options) *Miner {
	if opts.Threshold <= 0 {
		opts.Threshold = 0.5
	}
	if opts.Prefix <= 0 {
		opts.Prefix = 2
	}
	if opts.MaxChildren <= 0 {
		opts.MaxChildren = 100
	}
	if opts.MaxPatterns <= 0 {
		opts.MaxPatterns = 1 << 20
	}
	if opts.MaxLeaf <= 0 {
		opts.MaxLeaf = 64
	}
	if opts.MaxAliases <= 0 {
		opts.MaxAliases = 1 << 22
	}
	return &Miner{
		opts:     opts,
		sc:       scanner{collapse: !opts.KeepRuns, quotes: !opts.NoQuotes},
		byLen:    map[int]*node{},
		words:    map[string]uint32{Wildcard: wild},
		wordList: []string{Wildcard},
		plain:    []bool{false},
	}
}

// Len is the number of patterns founded, merged ones included: the ids Add has returned
// are below it.
func (m *Miner) Len() int { return len(m.clusters) }

// Add mines text and returns the number of its pattern: patterns are numbered 0, 1, 2...
// in the order they were founded, and a number never changes meaning.
func (m *Miner) Add(text string) uint32 {
	text = m.premask(text)
	toks := m.sc.scan(text)
	h := hashTokens(toks)
	if c, ok := m.seqs.get(h); ok {
		m.clusters[c].seen++
		return c
	}
	c := m.place(toks, h)
	m.clusters[c].seen++
	if m.seqs.len() < m.opts.MaxAliases {
		m.seqs.put(h, c)
	}
	return c
}

// premask applies the extra masks: a match is replaced by a wildcard, or when the
// expression has groups, each group's text is (so that "user (\w+)" keeps "user").
func (m *Miner) premask(text string) string {
	for _, re := range m.opts.Masks {
		if re.NumSubexp() == 0 {
			text = re.ReplaceAllLiteralString(text, " "+Wildcard+" ")
			continue
		}
		var b []byte
		last := 0
		for _, loc := range re.FindAllStringSubmatchIndex(text, -1) {
			for g := 2; g+1 < len(loc); g += 2 {
				if loc[g] < 0 || loc[g] < last {
					continue
				}
				b = append(b, text[last:loc[g]]...)
				b = append(b, Wildcard...)
				last = loc[g+1]
			}
		}
		if b != nil {
			text = string(append(b, text[last:]...))
		}
	}
	return text
}

// place finds or founds the pattern of a masked sequence not seen before.
func (m *Miner) place(toks []token, h uint64) uint32 {
	ids := m.ids[:0]
	for _, t := range toks {
		ids = append(ids, m.lookupWord(t))
	}
	m.ids = ids
	leaf := m.route(ids, false)
	best := -1
	if leaf != nil {
		full := len(m.clusters) >= m.opts.MaxPatterns || len(leaf.clusters) >= m.opts.MaxLeaf
		best = m.closest(leaf, ids, full)
	}
	if best < 0 {
		if len(m.clusters) >= m.opts.MaxPatterns || leaf != nil && len(leaf.clusters) >= m.opts.MaxLeaf {
			return m.catchAll(len(ids))
		}
		return m.found(ids, toks, h)
	}
	c := uint32(best)
	m.generalize(c, ids)
	return c
}

// lookupWord returns the id of a token's word, or a fresh id beyond the dictionary for
// a word no template holds (it equals nothing, which is all the search needs).
func (m *Miner) lookupWord(t token) uint32 {
	if t.wild {
		return wild
	}
	if id, ok := m.words[t.String()]; ok {
		return id
	}
	return unknownWord
}

// unknownWord stands for a word no template holds; found interns it.
const unknownWord = ^uint32(0)

func (m *Miner) intern(s string) uint32 {
	if id, ok := m.words[s]; ok {
		return id
	}
	id := uint32(len(m.wordList))
	m.words[s] = id
	m.wordList = append(m.wordList, s)
	m.plain = append(m.plain, plainWord(s))
	return id
}

// route walks the tree for a sequence: the length, then up to Prefix words. With add,
// it creates the path (Drain's rules: a word with a digit, or a word beyond a full
// node, goes to the wildcard child); without, it returns nil where no path exists.
func (m *Miner) route(ids []uint32, add bool) *node {
	n := m.byLen[len(ids)]
	if n == nil {
		if !add {
			return nil
		}
		n = &node{}
		m.byLen[len(ids)] = n
	}
	for depth := 0; depth < m.opts.Prefix && depth < len(ids); depth++ {
		w := ids[depth]
		next := n.children[w]
		if next == nil && add && w != wild && !m.hasDigit(w) {
			if _, hasWild := n.children[wild]; len(n.children) < m.opts.MaxChildren-1 ||
				(hasWild && len(n.children) < m.opts.MaxChildren) {
				next = &node{}
				if n.children == nil {
					n.children = map[uint32]*node{}
				}
				n.children[w] = next
			}
		}
		if next == nil {
			next = n.children[wild]
			if next == nil {
				if !add {
					return nil
				}
				next = &node{}
				if n.children == nil {
					n.children = map[uint32]*node{}
				}
				n.children[wild] = next
			}
		}
		n = next
	}
	return n
}

func (m *Miner) hasDigit(w uint32) bool {
	s := m.wordList[w]
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// closest returns the pattern of leaf most similar to ids, if similar enough, else -1.
// In a full leaf, plain words may differ and the most similar pattern is taken however
// dissimilar. Ties go to the pattern with more wildcards, then the older one.
func (m *Miner) closest(leaf *node, ids []uint32, full bool) int {
	if full {
		return m.closestLoose(leaf, ids)
	}
	best, bestSim, bestParams := -1, -1.0, -1
	for _, c := range leaf.clusters {
		sim, params := m.similarity(m.clusters[c].tmpl, ids, full)
		if sim > bestSim || (sim == bestSim && params > bestParams) {
			best, bestSim, bestParams = int(c), sim, params
		}
	}
	if best >= 0 && (full || bestSim >= m.opts.Threshold) {
		return best
	}
	return -1
}

// closestLoose is closest in a full leaf: the most similar pattern however dissimilar,
// plain words included. Every text of a masked form not seen before that reaches a full
// leaf (titles that carry user names, say) scans the leaf's patterns, so this is the
// miner's slowest path; the loop is similarity's for loose comparisons, without its
// branches on plain words. The templates of a leaf all have the text's length, so the
// count of equal words orders them as the share does.
func (m *Miner) closestLoose(leaf *node, ids []uint32) int {
	best, bestSame, bestParams := -1, -1, -1
	paramsDiffer := m.opts.ParamsDiffer
	for _, c := range leaf.clusters {
		tmpl := m.clusters[c].tmpl
		if len(tmpl) != len(ids) {
			continue // cannot happen: a leaf is under its length
		}
		same, params, n := 0, 0, len(tmpl)
		for i, w := range tmpl {
			x := ids[i]
			if w == wild {
				params++
				if x == wild && !paramsDiffer {
					same++
				}
			} else if w == x {
				same++
			} else if same+n-i-1 < bestSame {
				same = -1 // cannot equal the best any more: a pattern needs no more look
				break
			}
		}
		if same > bestSame || (same == bestSame && params > bestParams) {
			best, bestSame, bestParams = int(c), same, params
		}
	}
	return best
}

// similarity is the share of positions where the template and the sequence agree, and
// the template's wildcards; -1 when a plain word differs and may not (loose: it may).
func (m *Miner) similarity(tmpl, ids []uint32, loose bool) (float64, int) {
	same, params, plain := 0, 0, false
	for i, w := range tmpl {
		if w == wild {
			params++
			if ids[i] == wild && !m.opts.ParamsDiffer {
				same++
			}
			continue
		}
		if w == ids[i] {
			same++
		} else if !loose && m.plain[w] {
			if m.opts.WordThreshold <= 0 {
				return -1, 0 // a plain word differs: another pattern
			}
			plain = true
		}
	}
	if len(tmpl) == 0 {
		return 1, 0
	}
	sim := float64(same) / float64(len(tmpl))
	if plain && sim < m.opts.WordThreshold {
		return -1, 0
	}
	return sim, params
}

// found creates a pattern for a sequence.
func (m *Miner) found(ids []uint32, toks []token, h uint64) uint32 {
	tmpl := make([]uint32, len(ids))
	for i, t := range toks {
		if t.wild {
			tmpl[i] = wild
		} else {
			tmpl[i] = m.intern(t.String())
		}
	}
	leaf := m.route(tmpl, true)
	c := uint32(len(m.clusters))
	m.clusters = append(m.clusters, cluster{tmpl: tmpl, id: h})
	leaf.clusters = append(leaf.clusters, c)
	return c
}

// catchAll is the pattern of the texts of a length that came once the miner was full
// and matched nothing: the all-wildcard pattern of that length, founded if need be
// (beyond MaxPatterns, which it exceeds by at most one per length).
func (m *Miner) catchAll(n int) uint32 {
	tmpl := make([]uint32, n)
	leaf := m.route(tmpl, true)
	for _, c := range leaf.clusters {
		if isAllWild(m.clusters[c].tmpl) {
			return c
		}
	}
	c := uint32(len(m.clusters))
	m.clusters = append(m.clusters, cluster{tmpl: tmpl, id: catchAllID(n)})
	leaf.clusters = append(leaf.clusters, c)
	return c
}

// plainWord says whether s is letters only, with at most one closing punctuation mark,
// possibly quoted.
func plainWord(s string) bool {
	if len(s) > 1 && isQuote(s[0]) {
		s = s[1:]
	}
	if n := len(s); n > 1 && isQuote(s[n-1]) {
		s = s[:n-1]
	}
	if n := len(s); n > 1 && isCloser(s[n-1]) {
		s = s[:n-1]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

func isAllWild(t []uint32) bool {
	for _, w := range t {
		if w != wild {
			return false
		}
	}
	return true
}

// generalize turns the words of c's template that ids does not share into wildcards.
func (m *Miner) generalize(c uint32, ids []uint32) {
	tmpl := m.clusters[c].tmpl
	for i, w := range tmpl {
		if w != wild && w != ids[i] {
			tmpl[i] = wild
		}
	}
}

// Pattern describes a pattern.
type Pattern struct {
	// ID is the pattern's id.
	ID string
	// Template is the pattern's words, Wildcard where they vary, joined by spaces.
	Template string
	// Seen counts the texts added to the pattern, updates of a ticket included.
	Seen int64
}

// Pattern describes pattern c, a number Add returned.
func (m *Miner) Pattern(c uint32) Pattern {
	cl := &m.clusters[c]
	return Pattern{ID: FormatID(cl.id), Template: m.template(cl.tmpl), Seen: cl.seen}
}

// ID is the id of pattern c.
func (m *Miner) ID(c uint32) string { return FormatID(m.clusters[c].id) }

func (m *Miner) template(tmpl []uint32) string {
	var b strings.Builder
	for i, w := range tmpl {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.wordList[w])
	}
	return b.String()
}

// ErrBadID is returned by Resolve for a string that cannot be a pattern id.
var ErrBadID = errors.New("not a pattern id")

// Resolve returns the pattern that id names: its own id or the hash of any masked
// sequence that joined it. It
// returns false for a well-formed id that names no pattern here, and ErrBadID for a
// malformed one.
func (m *Miner) Resolve(id string) (uint32, bool, error) {
	h, err := ParseID(id)
	if err != nil {
		return 0, false, err
	}
	if c, ok := m.seqs.get(h); ok {
		return c, true, nil
	}
	// A founding id whose sequence did not fit in the alias table, or a catch-all.
	for i := range m.clusters {
		if m.clusters[i].id == h {
			return uint32(i), true, nil
		}
	}
	return 0, false, nil
}

// Bytes estimates the memory the miner holds.
func (m *Miner) Bytes() int {
	n := m.seqs.bytes() + cap(m.clusters)*int(clusterSize)
	for i := range m.clusters {
		n += 4 * cap(m.clusters[i].tmpl)
	}
	for _, w := range m.wordList {
		n += len(w) + 16 + 24 // the string, its header in the list and its map entry
	}
	n += len(m.byLen) * 48
	return n
}
