// Package demo is a ticket source that needs no ticket system: a living stream of
// generated tickets (package gen) for trying Spacetime out and for the provisioned
// dashboards. About ten tickets open a minute, more in business hours and fewer at
// weekends; every so often one service in one region floods the stream (an outage); and
// tickets are acknowledged and resolved as time passes, within two days of their creation.
//
// The stream is a function of the seed and the clock. Time is cut into weeks (from
// Monday 00:00 UTC), and each week's tickets are a gen.Stream with the week's own seed:
// ticket n of a week is the same ticket whenever and wherever it is generated, and a poll
// generates only the tickets it hands over. It finds them by their lifecycle's times,
// which cost a few random draws each: the tickets created from two days before the
// window's start up to now are looked at, and those with a version in the window are
// generated whole, in their latest version as of now.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/ingest"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/source"
	"github.com/spacetime/tickets/pkg/ticket"
)

const (
	// DefaultBackfill is how far back the first poll reaches.
	DefaultBackfill = 7 * 24 * time.Hour
	// DefaultRate is the usual number of tickets a minute.
	DefaultRate = 10.0
	// DefaultOutages is the number of outages a week.
	DefaultOutages = 10
	week           = 7 * 24 * time.Hour
	// maxAge bounds how long after its creation a ticket still changes (gen.Options.MaxAge):
	// a poll looks back that far for tickets that changed in its window.
	maxAge = 48 * time.Hour
	// batchSize is the number of records handed over at once.
	batchSize = 5000
)

// epochMonday is the first Monday after the Unix epoch, where weeks start.
var epochMonday = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// Options configure the demo source.
type Options struct {
	// Backfill is how far back the first poll reaches; 0 means DefaultBackfill.
	Backfill time.Duration
	// Seed chooses the stream; the same seed gives the same tickets.
	Seed int64
	// Rate is the usual number of tickets a minute; 0 means DefaultRate.
	Rate float64
	// Outages a week; 0 means DefaultOutages, negative none.
	Outages int
}

// Source is the demo source.
type Source struct {
	opts   Options
	mapper *source.ObjectMapper
	names  []string
	col    struct{ id int }
	// streams are the weeks' streams, by the week's start (Unix seconds), kept while polls
	// reach into their week. Polls run one at a time (the poller's), so no lock.
	streams map[int64]*gen.Stream
}

var _ source.Source = (*Source)(nil)

// New returns the demo source for s, which should be the default schema or one that
// takes its column names (the generated tickets have the default schema's columns).
func New(s *schema.Schema, opts Options) (*Source, error) {
	if opts.Backfill <= 0 {
		opts.Backfill = DefaultBackfill
	}
	if opts.Rate <= 0 {
		opts.Rate = DefaultRate
	}
	if opts.Outages == 0 {
		opts.Outages = DefaultOutages
	}
	if opts.Outages < 0 {
		opts.Outages = 0
	}
	m, err := source.NewObjectMapper(s, ingest.MapOptions{})
	if err != nil {
		return nil, err
	}
	src := &Source{opts: opts, mapper: m, names: gen.Names(), streams: map[int64]*gen.Stream{}}
	layout := ticket.NewLayout(src.names)
	if src.col.id = layout.Index("id"); src.col.id < 0 {
		return nil, errors.New("the generator has no \"id\" column")
	}
	if s.Index(s.Key) < 0 || !contains(src.names, s.Key) && !fromHas(s, s.Key, "id") {
		return nil, fmt.Errorf("the demo source makes tickets of the default schema, whose key is \"id\"; this schema's key %q does not take it (use the default schema, or add id to the key column's from list)", s.Key)
	}
	return src, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func fromHas(s *schema.Schema, col, name string) bool {
	c, ok := s.Column(col)
	if !ok {
		return false
	}
	for _, f := range c.From {
		if strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// Describe names the source.
func (s *Source) Describe() string {
	return fmt.Sprintf("demo generator (about %g tickets a minute, seed %d)", s.opts.Rate, s.opts.Seed)
}

// Poll hands over, for every ticket that changed at or after the window's start and up
// to now, its latest version as of now. Its cost is in proportion to what it hands over,
// plus a few random draws for each ticket created from maxAge before the window's start.
func (s *Source) Poll(ctx context.Context, w source.Window, emit source.Emit) (json.RawMessage, error) {
	now := w.Now.UTC()
	since := w.Since.UTC()
	if w.Since.IsZero() {
		since = now.Add(-s.opts.Backfill)
	}
	var b source.Batch
	flush := func() error {
		if len(b.Records) == 0 && len(b.Rejects) == 0 {
			return nil
		}
		err := emit(ctx, b)
		b = source.Batch{}
		return err
	}
	from := since.Add(-maxAge)
	s.forget(weekStart(from))
	for start := weekStart(from); start.Before(now); start = start.Add(week) {
		st, err := s.stream(start)
		if err != nil {
			return nil, err
		}
		prefix := "INC" + start.Format("060102") + "-"
		err = s.changed(ctx, st, from.UnixMilli(), since.UnixMilli(), now.UnixMilli(), func(rec *ticket.Record) error {
			key := prefix + fmt.Sprintf("%06d", number(rec.Key))
			s.mapper.Add(&b, s.object(rec, key), "demo ticket "+key)
			if len(b.Records)+len(b.Rejects) >= batchSize {
				return flush()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return nil, flush()
}

// changed calls fn with the latest version as of nowMS of each ticket of st created at or
// after fromMS whose latest version is at or after sinceMS.
func (s *Source) changed(ctx context.Context, st *gen.Stream, fromMS, sinceMS, nowMS int64, fn func(*ticket.Record) error) error {
	// Created times never decrease with the ticket's number.
	first := sort.Search(st.Len(), func(i int) bool { return st.Created(i) >= fromMS })
	for i := first; i < st.Len(); i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		created, acked, resolved := st.Changes(i)
		if created > nowMS {
			break
		}
		latest := created
		if acked != 0 && acked <= nowMS {
			latest = acked
		}
		if resolved != 0 && resolved <= nowMS {
			latest = resolved
		}
		if latest < sinceMS {
			continue
		}
		if err := st.Ticket(i, nowMS, fn); err != nil {
			return err
		}
	}
	return nil
}

// stream is the week's stream that starts at start.
func (s *Source) stream(start time.Time) (*gen.Stream, error) {
	if st, ok := s.streams[start.Unix()]; ok {
		return st, nil
	}
	st, err := gen.NewStream(s.Options(start))
	if err != nil {
		return nil, fmt.Errorf("the demo's week of %s: %w", start.Format(time.DateOnly), err)
	}
	s.streams[start.Unix()] = st
	return st, nil
}

// forget drops the streams of the weeks before the week at start, which polls no longer
// reach.
func (s *Source) forget(start time.Time) {
	for k := range s.streams {
		if k < start.Unix() {
			delete(s.streams, k)
		}
	}
}

// number is the number in a generated key ("INC00000042": 42).
func number(key string) int {
	n, err := strconv.Atoi(strings.TrimLeft(strings.TrimPrefix(key, "INC"), "0"))
	if err != nil {
		return 0
	}
	return n
}

func weekStart(t time.Time) time.Time {
	n := t.Sub(epochMonday) / week
	if t.Before(epochMonday) {
		n--
	}
	return epochMonday.Add(n * week)
}

// Options returns the generator's options for the week that starts at start.
func (s *Source) Options(start time.Time) gen.Options {
	opts := gen.Options{
		End:     start.Add(week),
		Span:    week,
		Seed:    mix(s.opts.Seed, start.Unix()),
		Outages: s.opts.Outages,
		MaxAge:  maxAge,
	}
	// gen spreads its tickets over the usual rate and the outages' extra; so that the
	// usual rate stays near Rate, the count includes the outages' extra tickets, which an
	// outage's plateau multiplies by its factor for most of its length.
	extra := 0.0
	for _, o := range gen.PlanOutages(opts) {
		extra += (o.Factor - 1) * 0.86 * o.End.Sub(o.Start).Minutes()
	}
	opts.Tickets = int(math.Round(s.opts.Rate * (week.Minutes() + extra)))
	return opts
}

// Outages returns the outages of the weeks that overlap [from, to), for tests and docs.
func (s *Source) Outages(from, to time.Time) []gen.Outage {
	var out []gen.Outage
	for start := weekStart(from); start.Before(to); start = start.Add(week) {
		for _, o := range gen.PlanOutages(s.Options(start)) {
			if o.End.After(from) && o.Start.Before(to) {
				out = append(out, o)
			}
		}
	}
	return out
}

func mix(seed, salt int64) int64 {
	h := fnv.New64a()
	var buf [16]byte
	for i := range 8 {
		buf[i] = byte(uint64(seed) >> (8 * i))
		buf[8+i] = byte(uint64(salt) >> (8 * i))
	}
	h.Write(buf[:])
	return int64(h.Sum64() >> 1)
}

// object is a generated record as the JSON object a ticket system would send, with key
// (which holds the week, so that keys are unique across weeks) as its id.
func (s *Source) object(rec *ticket.Record, key string) map[string]any {
	obj := make(map[string]any, len(s.names))
	for i, v := range rec.Values {
		name := s.names[i]
		switch v.Kind {
		case ticket.Str:
			obj[name] = v.S
		case ticket.Num:
			obj[name] = json.Number(strconv.FormatFloat(v.F, 'f', -1, 64))
		case ticket.Time:
			obj[name] = json.Number(strconv.FormatInt(v.I, 10))
		case ticket.Bool:
			obj[name] = v.Bool()
		default:
			obj[name] = nil
		}
	}
	obj[s.names[s.col.id]] = key
	return obj
}
