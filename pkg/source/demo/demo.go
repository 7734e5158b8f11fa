// Package demo is a ticket source that needs no ticket system: a living stream of
// generated tickets (package gen) for trying Spacetime out and for the provisioned
// dashboards. About ten tickets open a minute, more in business hours and fewer at
// weekends; every so often one service in one region floods the stream (an outage); and
// tickets are acknowledged and resolved as time passes.
//
// The stream is a function of the seed and the clock. Time is cut into weeks (from
// Monday 00:00 UTC), and each week's tickets are generated whole by gen with the week's
// own seed, so a ticket is the same ticket whenever and wherever it is generated; a poll
// hands over the versions of tickets that came into being between the window's start and
// now. Tickets still open at the end of their week are resolved in the following days
// by a continuation that is drawn from the ticket's key.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
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
	// maxLate bounds how long after the end of its week a ticket still changes: the
	// continuation resolves every ticket it resolves within two days.
	maxLate = 48 * time.Hour
	// batchSize is the number of records handed over at once.
	batchSize = 5000
	// neverResolved is the share of tickets the continuation leaves open for good.
	neverResolved = 0.02
)

// epochMonday is the first Monday after the Unix epoch, where weeks start.
var epochMonday = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

var (
	// ackMeanMin and resolveMedianMin are the continuation's times to acknowledge and to
	// resolve by severity (sev1 first), in minutes; close to gen's own.
	ackMeanMin       = []float64{3, 6, 12, 25, 45}
	resolveMedianMin = []float64{45, 90, 240, 720, 2160}
)

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
	col    struct{ id, status, severity, updated, resolved int }
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
	src := &Source{opts: opts, mapper: m, names: gen.Names()}
	layout := ticket.NewLayout(src.names)
	for name, dst := range map[string]*int{"id": &src.col.id, "status": &src.col.status, "severity": &src.col.severity,
		"updated": &src.col.updated, "resolved": &src.col.resolved} {
		if *dst = layout.Index(name); *dst < 0 {
			return nil, fmt.Errorf("the generator has no %q column", name)
		}
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
// to now, its latest version as of now.
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
	for start := weekStart(since.Add(-maxLate)); start.Before(now); start = start.Add(week) {
		err := s.week(ctx, start, since, now, func(rec *ticket.Record) error {
			s.mapper.Add(&b, s.object(rec), "demo ticket "+rec.Key)
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
		Updates: true,
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

// week generates the tickets of the week at start and calls fn with the latest version
// as of now of each ticket whose latest version is at or after since.
func (s *Source) week(ctx context.Context, start, since, now time.Time, fn func(*ticket.Record) error) error {
	end := start.Add(week)
	if !end.Add(maxLate).After(since) || !start.Before(now) {
		return nil
	}
	sinceMS, nowMS, endMS := since.UnixMilli(), now.UnixMilli(), end.UnixMilli()
	over := endMS < nowMS
	prefix := "INC" + start.Format("060102") + "-"
	var (
		key       string
		best      *ticket.Record // the latest version <= now, when it is >= since
		final     ticket.Record  // the week's last version, when the week is over and it is open
		finalOpen bool
		have      bool
	)
	done := func() error {
		if !have {
			return nil
		}
		have = false
		if finalOpen {
			for _, v := range s.continuation(&final, endMS) {
				if v.Version <= nowMS && v.Version >= sinceMS {
					best = v
				}
			}
		}
		if best == nil {
			return nil
		}
		r := best
		best = nil
		return fn(r)
	}
	err := gen.Generate(ctx, s.Options(start), func(rec *ticket.Record) error {
		if rec.Key != key {
			if err := done(); err != nil {
				return err
			}
			key = rec.Key
			have = true
		}
		if rec.Version <= nowMS && rec.Version >= sinceMS {
			c := s.renamed(rec, prefix)
			best = &c
		}
		// gen gives a ticket's versions oldest first: the last one is as of the week's end.
		finalOpen = over && rec.Values[s.col.status].S != "resolved"
		if finalOpen {
			final = s.renamed(rec, prefix)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return done()
}

// renamed copies a generated record with a key that holds its week: gen numbers the
// tickets of each call from 1.
func (s *Source) renamed(rec *ticket.Record, prefix string) ticket.Record {
	c := rec.Clone()
	n, err := strconv.Atoi(strings.TrimLeft(strings.TrimPrefix(rec.Key, "INC"), "0"))
	if err != nil {
		n = 0
	}
	c.Key = prefix + fmt.Sprintf("%06d", n)
	c.Values[s.col.id] = ticket.String(c.Key)
	return c
}

// continuation gives the versions of a ticket still open at the end of its week: an
// acknowledgement (if it had none) and, most of the time, a resolution, at times drawn
// from its key so that every poll agrees.
func (s *Source) continuation(final *ticket.Record, endMS int64) []*ticket.Record {
	h := fnv.New64a()
	h.Write([]byte(final.Key))
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(s.opts.Seed)))
	sev := int(final.Values[s.col.severity].F)
	sev = max(1, min(5, sev))
	var out []*ticket.Record
	at := endMS
	if final.Values[s.col.status].S == "open" {
		at = endMS + int64(r.ExpFloat64()*ackMeanMin[sev-1]*60000)/1000*1000
		ack := final.Clone()
		ack.Values[s.col.status] = ticket.String("acknowledged")
		ack.Values[s.col.updated] = ticket.TimeMS(at)
		ack.Version = at
		out = append(out, &ack)
	}
	if r.Float64() < neverResolved {
		return out
	}
	d := resolveMedianMin[sev-1] * 60000 * math.Exp(r.NormFloat64())
	resolvedAt := min(at+int64(d), endMS+maxLate.Milliseconds()) / 1000 * 1000
	if resolvedAt <= at {
		resolvedAt = at + 1000
	}
	res := final.Clone()
	res.Values[s.col.status] = ticket.String("resolved")
	res.Values[s.col.updated] = ticket.TimeMS(resolvedAt)
	res.Values[s.col.resolved] = ticket.TimeMS(resolvedAt)
	res.Version = resolvedAt
	return append(out, &res)
}

// object is a generated record as the JSON object a ticket system would send, with the
// week in its key so that keys are unique across weeks.
func (s *Source) object(rec *ticket.Record) map[string]any {
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
	return obj
}
