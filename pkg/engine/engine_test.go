package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

func TestDictInternsAndFinds(t *testing.T) {
	tests := []struct {
		name   string
		values []string
	}{
		{"empty string is a value", []string{"", "a", ""}},
		{"many values grow every shard", numbered("v", 50_000)},
		{"long values leave the chunks", []string{strings.Repeat("x", maxInline), "short", strings.Repeat("y", 3*maxInline)}},
		{"values across chunk boundaries", numbered(strings.Repeat("z", 3000), 2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDict()
			ids := map[string]uint32{}
			for _, v := range tt.values {
				id, added := d.intern(v)
				prev, seen := ids[v]
				if seen && (added || id != prev) {
					t.Fatalf("%.20q interned again as %d (added %v), was %d", v, id, added, prev)
				}
				if !seen && (!added || int(id) != len(ids)) {
					t.Fatalf("%.20q got id %d (added %v), want the next id %d", v, id, added, len(ids))
				}
				ids[v] = id
			}
			if d.len() != len(ids) {
				t.Fatalf("len %d, want %d", d.len(), len(ids))
			}
			for v, id := range ids {
				if got := d.get(id); got != v {
					t.Fatalf("get(%d) = %.20q, want %.20q", id, got, v)
				}
				if got, ok := d.find(v); !ok || got != id {
					t.Fatalf("find(%.20q) = %d, %v; want %d", v, got, ok, id)
				}
			}
			if _, ok := d.find("never added"); ok {
				t.Fatal("found a value never added")
			}
		})
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func TestCodeVecWidens(t *testing.T) {
	tests := []struct {
		name  string
		codes []uint32
		width uint8
	}{
		{"bytes", []uint32{0, 1, 255}, 1},
		{"to two bytes", []uint32{3, 256, 7}, 2},
		{"to four bytes at once", []uint32{9, 70_000, 1}, 4},
		{"two then four", []uint32{300, 5, 1 << 20}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newCodeVec()
			v.appendNulls(len(tt.codes) + 1)
			for i, c := range tt.codes {
				v.set(uint32(i), c)
			}
			if v.width != tt.width {
				t.Fatalf("width %d, want %d", v.width, tt.width)
			}
			for i, c := range tt.codes {
				if got := v.get(uint32(i)); got != c {
					t.Fatalf("row %d: %d, want %d", i, got, c)
				}
			}
			if got := v.get(uint32(len(tt.codes))); got != 0 {
				t.Fatalf("untouched row: %d, want 0", got)
			}
		})
	}
}

// TestTimeIndex drives the index through arrivals out of order, moves, nulls and merges,
// and checks every range against a sort of the current times.
func TestTimeIndex(t *testing.T) {
	tests := []struct {
		name     string
		rows     int
		movesPer int
		nullRate float64
		query    int // queries (and thus chances to merge) per step
	}{
		{"appends only", 5000, 0, 0, 1},
		{"moves without merges", 1500, 50, 0.1, 1},
		{"moves and merges", 12000, 400, 0.05, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tt.rows)))
			ix := newTimeIndex(0)
			var ms []int64
			randomTime := func() int64 {
				if rng.Float64() < tt.nullRate {
					return nullTime
				}
				return rng.Int64N(100_000)
			}
			for step := 0; len(ms) < tt.rows; step++ {
				for range 500 {
					ms = append(ms, randomTime())
					ix.added(uint32(len(ms) - 1))
				}
				for range tt.movesPer {
					r := uint32(rng.IntN(len(ms)))
					ms[r] = randomTime()
					ix.moved(r)
				}
				for range tt.query {
					lo := rng.Int64N(100_000)
					ranges := []timeRange{{all: true}, {lo: lo, hi: lo + rng.Int64N(30_000)}, {lo: nullTime + 1, hi: lo}}
					for _, r := range ranges {
						got := ix.rows(ms, r)
						if want := bruteRange(ms, r); !slices.Equal(got, want) {
							t.Fatalf("step %d range %+v: %d rows, want %d", step, r, len(got), len(want))
						}
					}
				}
			}
		})
	}
}

func bruteRange(ms []int64, r timeRange) []uint32 {
	var out []uint32
	for row, t := range ms {
		if r.all || (t >= r.lo && t < r.hi) {
			out = append(out, uint32(row))
		}
	}
	slices.SortStableFunc(out, func(a, b uint32) int {
		switch {
		case ms[a] < ms[b]:
			return -1
		case ms[a] > ms[b]:
			return 1
		}
		return 0
	})
	return out
}

// small builds an engine over a handful of tickets written out by hand.
type smallTicket struct {
	key      string
	sev      any // float64 or nil
	service  any // string or nil
	created  string
	resolved string
	flag     any
}

var smallLayout = ticket.NewLayout([]string{"id", "sev", "service", "created", "resolved", "flag", "updated"})

func smallRecords(t testing.TB, ts []smallTicket) []ticket.Record {
	t.Helper()
	recs := make([]ticket.Record, len(ts))
	for i, s := range ts {
		vals := []ticket.Value{ticket.String(s.key), {}, {}, {}, {}, {}, {}}
		if f, ok := s.sev.(float64); ok {
			vals[1] = ticket.Number(f)
		}
		if v, ok := s.service.(string); ok {
			vals[2] = ticket.String(v)
		}
		for j, text := range []string{s.created, s.resolved} {
			if text != "" {
				tm, err := time.Parse(time.RFC3339, text)
				if err != nil {
					t.Fatal(err)
				}
				vals[3+j] = ticket.TimeOf(tm)
			}
		}
		if b, ok := s.flag.(bool); ok {
			vals[5] = ticket.BoolOf(b)
		}
		recs[i] = ticket.Record{Key: s.key, Layout: smallLayout, Values: vals}
	}
	return recs
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

var smallData = []smallTicket{
	{"A", 1.0, "web", "2024-01-01T10:00:00Z", "", true},
	{"B", 2.0, "web", "2024-01-01T10:05:00Z", "2024-01-01T11:00:00Z", false},
	{"C", 1.0, "db", "2024-01-01T10:20:00Z", "", nil},
	{"D", nil, nil, "2024-01-01T10:21:00Z", "", true},
	{"E", 3.0, "db", "2024-01-01T10:59:59Z", "", false},
	{"F", 1.0, "dns", "2024-01-01T11:30:00Z", "", nil},
	{"G", 2.0, "web", "", "", nil},
	{"H", nil, "cache", "2024-01-01T10:40:00Z", "", nil},
}

func smallEngine(t testing.TB) *Engine {
	t.Helper()
	e := New(testSchema(t), nil, Options{Open: &filter.IsNull{Field: "resolved"}})
	e.Apply(smallRecords(t, smallData))
	return e
}

func TestCountsBuckets(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		from, to string
		bucket   time.Duration
		split    string
		top      int
		times    []string
		series   []Series
	}{
		{
			name: "aligned to the epoch, empty buckets are zeros",
			from: "2024-01-01T10:10:00Z", to: "2024-01-01T11:40:00Z", bucket: 30 * time.Minute,
			// [10:00, 10:30) holds C and D (A and B are before From), [10:30, 11:00) E and H,
			// [11:00, 11:30) none, [11:30, 12:00) F.
			times:  []string{"2024-01-01T10:00:00Z", "2024-01-01T10:30:00Z", "2024-01-01T11:00:00Z", "2024-01-01T11:30:00Z"},
			series: []Series{{Counts: []int64{2, 2, 0, 1}}},
		},
		{
			name: "to is exclusive",
			from: "2024-01-01T10:00:00Z", to: "2024-01-01T10:59:59Z", bucket: time.Hour,
			times:  []string{"2024-01-01T10:00:00Z"},
			series: []Series{{Counts: []int64{5}}}, // A B C D H, not E at 10:59:59
		},
		{
			name: "split with nulls and other",
			from: "2024-01-01T10:00:00Z", to: "2024-01-01T12:00:00Z", bucket: time.Hour, split: "service", top: 2,
			// web: A B (10h); db: C E (10h); null: D; dns: F (11h); cache: H.
			// Ties of two by value: db before web; the rest is other.
			times: []string{"2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
			series: []Series{
				{Name: "db", Counts: []int64{2, 0}},
				{Name: "web", Counts: []int64{2, 0}},
				{Name: OtherName, Counts: []int64{2, 1}},
			},
		},
		{
			// A number is a scale: its series come in value order, null last, whatever
			// their sizes.
			name: "split by a number, series in value order",
			from: "2024-01-01T10:00:00Z", to: "2024-01-01T12:00:00Z", bucket: time.Hour, split: "sev",
			// sev 1: A C F; null: D H; 2: B; 3: E.
			times: []string{"2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
			series: []Series{
				{Name: "1", Counts: []int64{2, 1}},
				{Name: "2", Counts: []int64{1, 0}},
				{Name: "3", Counts: []int64{1, 0}},
				{Null: true, Counts: []int64{2, 0}},
			},
		},
		{
			// The top N are still the largest: 1 (3 tickets) and null (2); 2 and 3 are the rest.
			name: "split by a number, top 2 by size",
			from: "2024-01-01T10:00:00Z", to: "2024-01-01T12:00:00Z", bucket: time.Hour, split: "sev", top: 2,
			times: []string{"2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"},
			series: []Series{
				{Name: "1", Counts: []int64{2, 1}},
				{Null: true, Counts: []int64{2, 0}},
				{Name: OtherName, Counts: []int64{2, 0}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Counts(ctx, CountsRequest{Scope: Scope{From: mustTime(t, tt.from), To: mustTime(t, tt.to)}, Bucket: tt.bucket, SplitBy: tt.split, Top: tt.top})
			if err != nil {
				t.Fatal(err)
			}
			var times []string
			for _, tm := range res.Times {
				times = append(times, tm.Format(time.RFC3339))
			}
			if !slices.Equal(times, tt.times) {
				t.Fatalf("times %v, want %v", times, tt.times)
			}
			if !reflect.DeepEqual(res.Series, tt.series) {
				t.Fatalf("series %+v, want %+v", res.Series, tt.series)
			}
		})
	}
}

func TestBreakdownTopAndOther(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		field string
		top   int
		want  []Bucket
	}{
		{"top two and other", "service", 2, []Bucket{{Value: "web", Count: 3}, {Value: "db", Count: 2}, {Value: OtherName, Other: true, Count: 3}}},
		{"no other when all fit", "service", 5, []Bucket{{Value: "web", Count: 3}, {Value: "db", Count: 2}, {Value: "cache", Count: 1}, {Value: "dns", Count: 1}, {Null: true, Count: 1}}},
		{"bools", "flag", 0, []Bucket{{Null: true, Count: 4}, {Value: "false", Count: 2}, {Value: "true", Count: 2}}},
		{"numbers order numerically on ties", "sev", 0, []Bucket{{Value: "1", Count: 3}, {Value: "2", Count: 2}, {Null: true, Count: 2}, {Value: "3", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Breakdown(ctx, BreakdownRequest{Field: tt.field, Top: tt.top})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != int64(len(smallData)) {
				t.Fatalf("total %d, want %d", res.Total, len(smallData))
			}
			if !reflect.DeepEqual(res.Buckets, tt.want) {
				t.Fatalf("buckets %+v, want %+v", res.Buckets, tt.want)
			}
		})
	}
}

func TestTicketsOrderAndDetails(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	keys := func(res *TicketsResult) []string { return res.Columns[0].Strings }
	tests := []struct {
		name string
		req  TicketsRequest
		want []string
	}{
		{"newest first, nulls last", TicketsRequest{Columns: []string{"created"}}, []string{"F", "E", "H", "D", "C", "B", "A", "G"}},
		{"oldest first, nulls still last", TicketsRequest{Sort: []schema.SortKey{{Field: "created"}}}, []string{"A", "B", "C", "D", "H", "E", "F", "G"}},
		{"by service then newest", TicketsRequest{Sort: []schema.SortKey{{Field: "service"}}, Limit: 4}, []string{"H", "E", "C", "F"}},
		{"by severity descending, nulls last", TicketsRequest{Sort: []schema.SortKey{{Field: "sev", Desc: true}}}, []string{"E", "B", "G", "F", "C", "A", "H", "D"}},
		{"in a range", TicketsRequest{Scope: Scope{From: mustTime(t, "2024-01-01T10:20:00Z"), To: mustTime(t, "2024-01-01T10:41:00Z")}}, []string{"H", "D", "C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Tickets(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(res); !slices.Equal(got, tt.want) {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
			if res.Columns[0].Name != "id" {
				t.Fatalf("the key column is not first: %q", res.Columns[0].Name)
			}
		})
	}
}

func TestSearchMarksWithoutRemoving(t *testing.T) {
	e := smallEngine(t)
	res, err := e.Tickets(context.Background(), TicketsRequest{Scope: Scope{Search: "WE"}, Columns: []string{"service"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != len(smallData) {
		t.Fatalf("%d rows, want all %d: search must not remove rows", len(res.Matches), len(smallData))
	}
	for i, m := range res.Matches {
		if want := res.Columns[1].Strings[i] == "web"; m != want {
			t.Errorf("row %s: match %v, want %v", res.Columns[0].Strings[i], m, want)
		}
	}
}

func TestCacheFollowsWrites(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	where := &filter.Compare{Field: "service", Op: filter.Eq, Value: filter.Literal{Kind: filter.LitString, S: "web"}}
	count := func() int64 {
		t.Helper()
		res, err := e.Stats(ctx, StatsRequest{Scope: Scope{Where: where}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	if n := count(); n != 3 {
		t.Fatalf("before: %d, want 3", n)
	}
	gen := e.Generation()
	e.Apply(smallRecords(t, []smallTicket{{"Z", 1.0, "web", "2024-01-02T00:00:00Z", "", nil}}))
	if e.Generation() == gen {
		t.Fatal("a write did not change the generation")
	}
	if n := count(); n != 4 {
		t.Fatalf("after adding one: %d, want 4", n)
	}
	// Moving a ticket out of the service is seen too.
	recs := smallRecords(t, []smallTicket{{"A", 1.0, "db", "2024-01-01T10:00:00Z", "", true}})
	e.Apply(recs)
	if n := count(); n != 3 {
		t.Fatalf("after moving one out: %d, want 3", n)
	}
}

func TestStaleVersionsAreIgnored(t *testing.T) {
	e := New(testSchema(t), nil, Options{})
	layout := ticket.NewLayout([]string{"id", "status", "updated"})
	rec := func(status string, version int64) ticket.Record {
		return ticket.Record{Key: "X", Version: version, Layout: layout, Values: []ticket.Value{ticket.String("X"), ticket.String(status), ticket.TimeMS(version)}}
	}
	e.Apply([]ticket.Record{rec("new", 10)})
	gen := e.Generation()
	e.Apply([]ticket.Record{rec("old", 5)})
	if e.Generation() != gen {
		t.Error("a stale record changed the generation")
	}
	res, err := e.Values(context.Background(), ValuesRequest{Field: "status"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Bucket{{Value: "new", Count: 1}}; !reflect.DeepEqual(res.Values, want) {
		t.Fatalf("values %+v, want %+v", res.Values, want)
	}
}

func TestBadRequests(t *testing.T) {
	e := smallEngine(t)
	ctx := context.Background()
	from, to := mustTime(t, "2024-01-01T00:00:00Z"), mustTime(t, "2024-01-02T00:00:00Z")
	rng := Scope{From: from, To: to}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"counts: zero bucket", func() error { _, err := e.Counts(ctx, CountsRequest{Scope: rng}); return err }, "bucket"},
		{"counts: no range", func() error { _, err := e.Counts(ctx, CountsRequest{Bucket: time.Minute}); return err }, "time range"},
		{"counts: too many buckets", func() error {
			_, err := e.Counts(ctx, CountsRequest{Scope: rng, Bucket: time.Millisecond})
			return err
		}, "too many"},
		{"counts: split by a time", func() error {
			_, err := e.Counts(ctx, CountsRequest{Scope: rng, Bucket: time.Hour, SplitBy: "created"})
			return err
		}, "time field"},
		{"counts: split by an unknown field", func() error {
			_, err := e.Counts(ctx, CountsRequest{Scope: rng, Bucket: time.Hour, SplitBy: "servic"})
			return err
		}, `did you mean "service"`},
		{"breakdown: the key", func() error { _, err := e.Breakdown(ctx, BreakdownRequest{Field: "id"}); return err }, "key"},
		{"breakdown: a detail column", func() error { _, err := e.Breakdown(ctx, BreakdownRequest{Field: "note"}); return err }, "detail"},
		{"breakdown: negative top", func() error { _, err := e.Breakdown(ctx, BreakdownRequest{Field: "sev", Top: -1}); return err }, "top"},
		{"tickets: sort by a detail column", func() error {
			_, err := e.Tickets(ctx, TicketsRequest{Sort: []schema.SortKey{{Field: "note"}}})
			return err
		}, "detail"},
		{"tickets: unknown column", func() error { _, err := e.Tickets(ctx, TicketsRequest{Columns: []string{"nope"}}); return err }, "unknown field"},
		{"tickets: unknown sort", func() error {
			_, err := e.Tickets(ctx, TicketsRequest{Sort: []schema.SortKey{{Field: "nope"}}})
			return err
		}, "unknown field"},
		{"time field not a time", func() error {
			_, err := e.Stats(ctx, StatsRequest{Scope: Scope{TimeField: "service"}})
			return err
		}, "not a time field"},
		{"empty range", func() error { _, err := e.Stats(ctx, StatsRequest{Scope: Scope{From: to, To: from}}); return err }, "empty"},
		{"values of a time", func() error { _, err := e.Values(ctx, ValuesRequest{Field: "created"}); return err }, "time field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v is not ErrBadRequest", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
