package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/ticket"
)

var leavesBase = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// leafTickets returns n tickets over ten days from leavesBase with random facets, some
// of them null.
func leafTickets(n int, seed uint64) []ticket.Record {
	r := rand.New(rand.NewPCG(seed, 1))
	layout := ticket.NewLayout([]string{"id", "sev", "status", "service", "flag", "created", "updated"})
	statuses := []string{"open", "ack", "resolved", "closed"}
	recs := make([]ticket.Record, n)
	for i := range recs {
		key := fmt.Sprintf("L%06d", i)
		created := leavesBase.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
		v := []ticket.Value{ticket.String(key), {}, {}, {}, {}, ticket.TimeOf(created), ticket.TimeOf(created)}
		if r.IntN(10) > 0 {
			v[1] = ticket.Number(float64(1 + r.IntN(5)))
		}
		if r.IntN(12) > 0 {
			v[2] = ticket.String(statuses[r.IntN(len(statuses))])
		}
		if r.IntN(20) > 0 {
			v[3] = ticket.String(fmt.Sprintf("svc-%02d", r.IntN(30)))
		}
		if r.IntN(3) > 0 {
			v[4] = ticket.BoolOf(r.IntN(2) == 0)
		}
		recs[i] = ticket.Record{Key: key, Layout: layout, Values: v}
	}
	return recs
}

// bruteLeaves counts the latest version of each ticket per combination of the fields'
// formatted values, in the window [from, to) (index 0), the baseline before it (1), and
// the baseline's first half (2). A value formats as the engine's labels do; null is "∅".
func bruteLeaves(recs []ticket.Record, fields []string, from, to time.Time, baseline time.Duration, keep func(*ticket.Record) bool) map[string][3]int64 {
	latest := map[string]*ticket.Record{}
	for i := range recs {
		latest[recs[i].Key] = &recs[i]
	}
	bFrom, mid := from.Add(-baseline), from.Add(-baseline).Add(baseline/2)
	out := map[string][3]int64{}
	for _, rec := range latest {
		if keep != nil && !keep(rec) {
			continue
		}
		created := rec.Get("created").Time()
		var parts []string
		for _, f := range fields {
			v := rec.Get(f)
			switch v.Kind {
			case ticket.Null:
				parts = append(parts, "∅")
			case ticket.Num:
				parts = append(parts, formatNumber(v.F))
			case ticket.Bool:
				parts = append(parts, fmt.Sprint(v.Bool()))
			default:
				parts = append(parts, v.S)
			}
		}
		k := strings.Join(parts, "|")
		c := out[k]
		switch {
		case !created.Before(from) && created.Before(to):
			c[0]++
		case !created.Before(bFrom) && created.Before(from):
			c[1]++
			if created.Before(mid) {
				c[2]++
			}
		default:
			continue
		}
		out[k] = c
	}
	return out
}

// asMap writes a leaves result in bruteLeaves's form.
func asMap(res *LeavesResult) map[string][3]int64 {
	out := map[string][3]int64{}
	nf := len(res.Fields)
	for l := range res.Now {
		var parts []string
		for f, field := range res.Fields {
			code := res.Codes[l*nf+f]
			if field.Nulls[code] {
				parts = append(parts, "∅")
			} else {
				parts = append(parts, field.Values[code])
			}
		}
		k := strings.Join(parts, "|")
		c := out[k]
		c[0] += res.Now[l]
		c[1] += res.Before[l]
		c[2] += res.Early[l]
		out[k] = c
	}
	return out
}

func sameLeaves(t *testing.T, got, want map[string][3]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("leaf %s: got now/before/early %v, want %v", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("leaf %s: got %v, which no ticket has", k, g)
		}
	}
}

func TestLeavesMatchBruteForce(t *testing.T) {
	recs := leafTickets(5000, 7)
	e := New(testSchema(t), nil, Options{})
	e.Apply(recs)
	notClosed := &filter.Compare{Field: "status", Op: filter.Ne, Value: filter.Literal{Kind: filter.LitString, S: "closed"}}
	day := 24 * time.Hour
	tests := []struct {
		name     string
		fields   []string
		from, to time.Time
		baseline time.Duration
		where    filter.Expr
		keep     func(*ticket.Record) bool
	}{
		{name: "the facets, a day against the day before", from: leavesBase.Add(5 * day), to: leavesBase.Add(6 * day)},
		{name: "the facets, an hour against three days", from: leavesBase.Add(7*day + 3*time.Hour), to: leavesBase.Add(7*day + 4*time.Hour), baseline: 3 * day},
		{name: "one field", fields: []string{"service"}, from: leavesBase.Add(2 * day), to: leavesBase.Add(4 * day), baseline: day},
		{name: "a bool and a number", fields: []string{"flag", "sev"}, from: leavesBase.Add(8 * day), to: leavesBase.Add(9 * day), baseline: 4 * day},
		{name: "with a filter", fields: []string{"service", "status"}, from: leavesBase.Add(6 * day), to: leavesBase.Add(7 * day), where: notClosed,
			keep: func(r *ticket.Record) bool { return r.Get("status").S != "closed" }},
		{name: "a baseline before any ticket", from: leavesBase.Add(time.Hour), to: leavesBase.Add(2 * time.Hour), baseline: day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Leaves(context.Background(), LeavesRequest{Scope: Scope{From: tt.from, To: tt.to, Where: tt.where}, Fields: tt.fields, Baseline: tt.baseline})
			if err != nil {
				t.Fatal(err)
			}
			fields := tt.fields
			if fields == nil {
				fields = []string{"sev", "status", "service"}
			}
			baseline := tt.baseline
			if baseline == 0 {
				baseline = tt.to.Sub(tt.from)
			}
			want := bruteLeaves(recs, fields, tt.from, tt.to, baseline, tt.keep)
			sameLeaves(t, asMap(res), want)
			var now, before int64
			for l := range res.Now {
				now += res.Now[l]
				before += res.Before[l]
			}
			if now != res.CurrentTotal || before != res.BaselineTotal {
				t.Errorf("the leaves sum to %d now and %d before; the totals say %d and %d", now, before, res.CurrentTotal, res.BaselineTotal)
			}
			if !res.BaselineTo.Equal(tt.from) || res.BaselineTo.Sub(res.BaselineFrom) != baseline {
				t.Errorf("the baseline is [%s, %s), want the %s before %s", res.BaselineFrom, res.BaselineTo, baseline, tt.from)
			}
		})
	}
}

// By default the leaves combine the facets but the lifecycle columns: a status differs
// between any recent window and the period before it, and would be named as a cause.
func TestLeavesDefaultLeavesOutLifecycleColumns(t *testing.T) {
	s := schema.Default()
	var want []string
	for _, c := range s.Facets() {
		if !c.Lifecycle {
			want = append(want, c.Name)
		}
	}
	if len(want) == len(s.Facets()) {
		t.Fatal("the default schema has no lifecycle column; the test would prove nothing")
	}
	e := New(s, nil, Options{})
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	res, err := e.Leaves(context.Background(), LeavesRequest{Scope: Scope{From: from, To: from.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Fields {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("default fields %v, want the facets but the lifecycle columns %v", got, want)
	}
}

func TestLeavesBadRequests(t *testing.T) {
	e := New(testSchema(t), nil, Options{numberCodes: 8})
	e.Apply(leafTickets(100, 1))
	layout := ticket.NewLayout([]string{"id", "score", "created"})
	var many []ticket.Record
	for i := range 20 {
		many = append(many, ticket.Record{Key: fmt.Sprintf("S%d", i), Layout: layout, Values: []ticket.Value{
			ticket.String(fmt.Sprintf("S%d", i)), ticket.Number(float64(i) + 0.5), ticket.TimeOf(leavesBase)}})
	}
	e.Apply(many) // score outgrows its 8 codes and turns into plain floats
	sc := Scope{From: leavesBase.Add(24 * time.Hour), To: leavesBase.Add(48 * time.Hour)}
	tests := []struct {
		name string
		req  LeavesRequest
		want string
	}{
		{"no range", LeavesRequest{Fields: []string{"service"}}, "both ends"},
		{"an unknown field", LeavesRequest{Scope: sc, Fields: []string{"nope"}}, "nope"},
		{"the key", LeavesRequest{Scope: sc, Fields: []string{"id"}}, "key"},
		{"a time field", LeavesRequest{Scope: sc, Fields: []string{"created"}}, "time"},
		{"a field twice", LeavesRequest{Scope: sc, Fields: []string{"service", "service"}}, "twice"},
		{"a negative baseline", LeavesRequest{Scope: sc, Baseline: -time.Hour}, "negative"},
		{"a number of many values", LeavesRequest{Scope: sc, Fields: []string{"score"}}, "distinct numbers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Leaves(context.Background(), tt.req)
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a bad request that mentions %q", err, tt.want)
			}
		})
	}
}

// TestLeavesToleratesWrites writes between the slices of a leaves query, as writers do
// when they get the lock between two slices of a long query.
func TestLeavesToleratesWrites(t *testing.T) {
	// A window of 12 000 tickets: three slices of the count.
	from, to := leavesBase.Add(3*24*time.Hour), leavesBase.Add(9*24*time.Hour)
	fields := []string{"service", "status", "sev"}

	// writeBetweenSlices makes a query's slices let a write in, once, after the first
	// slice of the window's count.
	writeBetweenSlices := func(t *testing.T, write func(e *Engine)) *Engine {
		var e *Engine
		var once sync.Once
		slice := 0
		done := make(chan struct{})
		e = New(testSchema(t), nil, Options{sliceTime: time.Nanosecond, onSlice: func() {
			slice++
			if slice != 1 {
				return
			}
			once.Do(func() {
				go func() { write(e); close(done) }()
				// Wait until the writer waits for the lock: the pause after this
				// slice lets it in.
				for e.writers.Load() == 0 {
					time.Sleep(time.Microsecond)
				}
			})
		}})
		t.Cleanup(func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("the write never ran")
			}
		})
		return e
	}

	t.Run("new values that widen the codes", func(t *testing.T) {
		recs := leafTickets(20000, 3)
		// Tickets long before the baseline, each with a service of its own: the
		// service dictionary grows from 31 codes to over 600, past the bits the count
		// set aside for it and past one byte per code.
		layout := ticket.NewLayout([]string{"id", "service", "created", "updated"})
		var extra []ticket.Record
		for i := range 600 {
			key := fmt.Sprintf("X%04d", i)
			at := ticket.TimeOf(leavesBase.Add(-30 * 24 * time.Hour))
			extra = append(extra, ticket.Record{Key: key, Layout: layout, Values: []ticket.Value{ticket.String(key), ticket.String(fmt.Sprintf("new-%04d", i)), at, at}})
		}
		e := writeBetweenSlices(t, func(e *Engine) { e.Apply(extra) })
		e.Apply(recs)
		res, err := e.Leaves(context.Background(), LeavesRequest{Scope: Scope{From: from, To: to}, Fields: fields, Baseline: 3 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		sameLeaves(t, asMap(res), bruteLeaves(recs, fields, from, to, 3*24*time.Hour, nil))
	})

	t.Run("tickets that change values", func(t *testing.T) {
		recs := leafTickets(20000, 4)
		// Every ticket of the window moves to a new service: each is counted once,
		// under its old service or its new one, whichever the slice that read it saw.
		// The new services come after 600 others, so their codes no longer fit the
		// bits the count set aside for the service, and it starts again.
		layout := ticket.NewLayout([]string{"id", "service", "created", "updated"})
		var moved []ticket.Record
		for i := range 600 {
			key := fmt.Sprintf("X%04d", i)
			at := ticket.TimeOf(leavesBase.Add(-30 * 24 * time.Hour))
			moved = append(moved, ticket.Record{Key: key, Layout: layout, Values: []ticket.Value{ticket.String(key), ticket.String(fmt.Sprintf("new-%04d", i)), at, at}})
		}
		for _, r := range recs {
			created := r.Get("created").Time()
			if created.Before(from) || !created.Before(to) || r.Get("service").Kind == ticket.Null {
				continue
			}
			m := r.Clone()
			m.Values[3] = ticket.String("moved-" + r.Get("service").S)
			m.Values[6] = ticket.TimeOf(created.Add(time.Minute))
			moved = append(moved, m)
		}
		e := writeBetweenSlices(t, func(e *Engine) { e.Apply(moved) })
		e.Apply(recs)
		res, err := e.Leaves(context.Background(), LeavesRequest{Scope: Scope{From: from, To: to}, Fields: fields, Baseline: 3 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		// The fields the write left alone count exactly; the service counts either
		// way, so folding "moved-x" into "x" gives the count before the write.
		got := map[string][3]int64{}
		for k, c := range asMap(res) {
			k = strings.TrimPrefix(k, "moved-")
			g := got[k]
			for i := range c {
				g[i] += c[i]
			}
			got[k] = g
		}
		sameLeaves(t, got, bruteLeaves(recs, fields, from, to, 3*24*time.Hour, nil))
	})
}
