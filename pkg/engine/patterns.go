package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/spacetime/tickets/pkg/patterns"
	"github.com/spacetime/tickets/pkg/schema"
)

// The pattern dimension.
//
// When the schema asks (schema.Patterns), each ticket's text in the chosen column is
// mined (package patterns) when the ticket is added, and again when an update changes
// that text; the ticket's pattern is kept as a string column of its own, named by the
// schema ("pattern"), whose values are pattern ids. It is held like any string column
// (one dictionary code per row, the dictionary holding the ids), so it is filtered,
// split, counted and broken down by the same code as a facet.
//
// A pattern number never changes meaning (the miner never merges patterns: see package
// patterns), so a row's code is written once per text and never rewritten: a pattern
// that becomes more general keeps its id and its rows. The dictionary code of pattern n
// is codes[n]: the ids are interned as the patterns are founded.
//
// Ids given in filters are resolved through the miner, so that an alias (the id of
// another masked form of the same pattern, as a process that mined in another order
// would have named it) selects the pattern too.

// patternState is what the engine of a store and the fresh engine that Trim builds to
// replace it share: the miner, the dictionary of ids and the codes of the patterns.
// Writers change it under the engine's write lock; queries read it under the read lock.
type patternState struct {
	miner *patterns.Miner
	dict  *dict
	// codes[n] is the dictionary code of pattern n.
	codes []uint32
}

// patternDim is an engine's pattern dimension.
type patternDim struct {
	*patternState
	col *column
	// src is the index in the engine's columns of the column mined.
	src int
	// frozen is set on the fresh engine of a Trim, whose rows get the codes they had
	// rather than being mined again.
	frozen bool
}

// minerOptions are the options of the engine's miners: the defaults, which suit ticket
// titles. An image holds the miner's state, which these options shaped: a change here
// must raise minerOptionsVersion.
func minerOptions() patterns.Options { return patterns.Options{} }

// minerOptionsVersion names minerOptions in images: an image whose miner was mined with
// other options is not used for the patterns (they are mined again).
const minerOptionsVersion = 1

// newPatternDim returns the pattern dimension the schema asks for, or nil.
func newPatternDim(s *schema.Schema, cols []*column) *patternDim {
	name, field := s.PatternField()
	if name == "" {
		return nil
	}
	src := -1
	for i, c := range cols {
		if c.name == field {
			src = i
		}
	}
	if src < 0 || cols[src].kind != kindString {
		return nil // the schema was validated: it names a held string or text column
	}
	d := newDict()
	d.appendNull()
	p := &patternDim{
		patternState: &patternState{miner: patterns.New(minerOptions()), dict: d},
		src:          src,
	}
	p.col = &column{name: name, typ: schema.String, kind: kindString, dict: d, codes: newCodeVec()}
	p.col.lookup = p.resolve
	return p
}

// mine gives row the pattern of its mined column's value, the code of which was old
// before the write (0 for a new row). The caller holds the write lock.
func (p *patternDim) mine(row, old uint32, src *column) {
	code := src.codes.get(row)
	if p.frozen || (code == old && p.col.codes.get(row) != 0) {
		return // Trim copies the codes; an unchanged text keeps its pattern
	}
	if code == 0 {
		p.col.codes.set(row, 0)
		return
	}
	n := p.miner.Add(src.dict.get(code))
	for int(n) >= len(p.codes) {
		id, _ := p.dict.intern(p.miner.ID(uint32(len(p.codes))))
		p.codes = append(p.codes, id)
	}
	p.col.codes.set(row, p.codes[n])
}

// rebuild mines the texts of the first rows rows of src in row order, for an engine
// loaded from an image that holds no patterns (written without the option, for another
// column, or with other miner options). The engine is not yet shared.
//
// Rows are numbered in the order their keys first arrived, and each holds its latest
// text, so the miner sees the texts in another order than the one they came in (an
// updated title is seen at its ticket's first place, an earlier title not at all). A
// pattern may then be founded on another of its masked forms and get another id; its
// old id still resolves as an alias while a held ticket has that masked form. An image
// written with the patterns holds the miner, and keeps every id exactly (restore).
func (p *patternDim) rebuild(ctx context.Context, src *column, rows int) error {
	p.col.codes.reserve(slack(rows))
	p.col.codes.appendNulls(rows)
	for r := range rows {
		if r%(64<<10) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p.mine(uint32(r), 0, src)
	}
	return nil
}

// restore takes the patterns an image held: the dictionary of ids and the rows' codes
// (read into p.col by the caller) and the saved miner. Every pattern's id must be in the
// dictionary, as mine put it there.
func (p *patternDim) restore(saved []byte) error {
	m, err := patterns.Load(minerOptions(), saved)
	if err != nil {
		return err
	}
	codes := make([]uint32, m.Len())
	for n := range codes {
		code, ok := p.col.dict.find(m.ID(uint32(n)))
		if !ok {
			return fmt.Errorf("pattern %s is not in the dictionary of pattern ids: the file is damaged", m.ID(uint32(n)))
		}
		codes[n] = code
	}
	p.patternState = &patternState{miner: m, dict: p.col.dict, codes: codes}
	return nil
}

// resolve is the dictionary code of the pattern an id names (its own id or an alias), for
// the filters; false when it names none, an error when id cannot be an id (a typo in a
// URL gets a message, not an empty panel). The caller holds the read lock.
func (p *patternDim) resolve(id string) (uint32, bool, error) {
	if code, ok := p.dict.find(id); ok {
		return code, true, nil
	}
	n, ok, err := p.miner.Resolve(id)
	if err != nil {
		return 0, false, err
	}
	if !ok || int(n) >= len(p.codes) {
		return 0, false, nil
	}
	return p.codes[n], true, nil
}

// PatternInfo describes a pattern of the engine's pattern dimension.
type PatternInfo struct {
	// ID is the pattern's id: the value of the pattern dimension.
	ID string
	// Template is the pattern's words, patterns.Wildcard where they vary.
	Template string
	// Seen counts the texts mined into the pattern since the engine started (or since
	// the image it was loaded from was built), updates that changed a text included.
	Seen int64
}

// PatternField returns the names of the pattern dimension and of the column it is mined
// from, or empty strings when the schema mines no patterns.
func (e *Engine) PatternField() (name, source string) {
	if e.pats == nil {
		return "", ""
	}
	return e.pats.col.name, e.cols[e.pats.src].name
}

// Patterns describes the patterns that ids name, in order: each id may be a pattern's id
// or an alias of it (then the answer carries the pattern's own id). An id that names no
// pattern gets ok false; a malformed one is an error that says so.
func (e *Engine) Patterns(ctx context.Context, ids []string) ([]PatternInfo, []bool, error) {
	if e.pats == nil {
		return nil, nil, badRequest("patterns: the schema mines no patterns (set patterns.field)")
	}
	out, found := make([]PatternInfo, len(ids)), make([]bool, len(ids))
	err := e.read(ctx, func(r *reader) error {
		for i, id := range ids {
			n, ok, err := e.pats.miner.Resolve(strings.TrimSpace(id))
			if err != nil {
				return badRequest("patterns: %v", err)
			}
			if !ok {
				continue
			}
			p := e.pats.miner.Pattern(n)
			out[i], found[i] = PatternInfo{ID: p.ID, Template: p.Template, Seen: p.Seen}, true
			if err := r.tick(pushWork); err != nil {
				return err
			}
		}
		return nil
	})
	return out, found, err
}
