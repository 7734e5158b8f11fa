package gen

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spacetime/tickets/pkg/ticket"
)

// Stream gives the tickets of Options one at a time and in any order: ticket i is drawn
// from a random stream of its own (the seed and i), so it is the same whichever other
// tickets are asked for, and asking costs in proportion to the tickets asked for. A live
// source (the demo) needs that: a poll wants the few tickets that changed in the last
// minute, not the week they belong to. Its tickets follow the same distributions as
// Generate's, but are not the same tickets: Generate draws all of them from one stream.
// A Stream is not safe for concurrent use.
type Stream struct {
	g *generator
	// life draws a ticket's created time and lifecycle, attrs the rest: Changes needs
	// the first only.
	lifePCG, attrsPCG *rand.PCG
	life, attrs       *rand.Rand
	rec               ticket.Record
	seed              uint64
}

// NewStream prepares the tickets of opts (Tickets of them, created over Span up to End).
func NewStream(opts Options) (*Stream, error) {
	g, err := newGenerator(withDefaults(opts))
	if err != nil {
		return nil, err
	}
	lp, ap := rand.NewPCG(0, 0), rand.NewPCG(0, 0)
	return &Stream{g: g, lifePCG: lp, attrsPCG: ap, life: rand.New(lp), attrs: rand.New(ap),
		seed: uint64(opts.Seed) ^ 0x73747265616d,
		rec:  ticket.Record{Layout: g.layout, Values: make([]ticket.Value, g.layout.Len())}}, nil
}

// Len is the number of tickets.
func (s *Stream) Len() int { return max(s.g.opts.Tickets, 0) }

// at starts ticket i's own random streams and returns its bucket and created time.
func (s *Stream) at(i int) (int, int64) {
	s.lifePCG.Seed(s.seed, 2*uint64(i))
	s.attrsPCG.Seed(s.seed, 2*uint64(i)+1)
	g := s.g
	total := g.cum[len(g.cum)-1]
	u := (float64(i) + s.life.Float64()) / float64(s.Len()) * total
	m := min(sort.Search(len(g.cum), func(k int) bool { return g.cum[k] > u }), len(g.cum)-1)
	return m, g.createdIn(m, u)
}

// Created is ticket i's created time in Unix milliseconds; it never decreases with i.
func (s *Stream) Created(i int) int64 {
	_, created := s.at(i)
	return created
}

// Changes gives the times, in Unix milliseconds, of ticket i's versions: created,
// acknowledged and resolved, however late; 0 for an event that never comes. It draws no
// texts, so it is several times cheaper than Ticket.
func (s *Stream) Changes(i int) (created, acked, resolved int64) {
	m, c := s.at(i)
	p := s.g.plan(s.life, nil, m, c)
	if p.resolved == math.MaxInt64 {
		p.resolved = 0
	}
	return c, p.acked, p.resolved
}

// Ticket passes to fn ticket i as it is at asOf (Unix milliseconds): its latest version
// then, and with Options.Updates the earlier ones first. The record is reused by the next
// call: Clone it to keep it.
func (s *Stream) Ticket(i int, asOf int64, fn func(rec *ticket.Record) error) error {
	m, c := s.at(i)
	return s.g.emit(s.attrs, i, s.g.plan(s.life, s.attrs, m, c), asOf, &s.rec, fn)
}
