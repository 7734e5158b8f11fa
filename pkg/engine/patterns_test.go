package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/filter"
	"github.com/spacetime/tickets/pkg/patterns"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/ticket"
)

const patternSchemaYAML = `
key: id
version: updated
time: created
columns:
  - {name: id, type: string}
  - {name: title, type: text}
  - {name: service, type: string, facet: true}
  - {name: created, type: time}
  - {name: updated, type: time}
patterns: {field: title}
`

var patternLayout = ticket.NewLayout([]string{"id", "title", "service", "created", "updated"})

func patternSchema(t testing.TB) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(patternSchemaYAML))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var titleShapes = []string{
	"High 5xx rate on %s in %s", "p99 latency above %d ms in %s", "disk usage above %d%% on %s",
	"CPU saturated on %s", "memory saturated on %s", "deployment %08x failed in %s",
	"Disk full on [%s]", "job '%s' failed after %ds",
}

func patternTitle(r *rand.Rand) string {
	host := func() string { return fmt.Sprintf("checkout-api-%04x", r.IntN(1<<16)) }
	zone := func() string { return fmt.Sprintf("us-east-%d%c", 1+r.IntN(2), 'a'+rune(r.IntN(3))) }
	switch i := r.IntN(len(titleShapes) + 1); i {
	case 0:
		return fmt.Sprintf(titleShapes[0], host(), zone())
	case 1:
		return fmt.Sprintf(titleShapes[1], 250*(1+r.IntN(8)), zone())
	case 2:
		return fmt.Sprintf(titleShapes[2], 80+r.IntN(20), host())
	case 3, 4:
		return fmt.Sprintf(titleShapes[i], host())
	case 5:
		return fmt.Sprintf(titleShapes[5], r.Uint32(), zone())
	case 6:
		return fmt.Sprintf(titleShapes[6], []string{"alpha", "beta", "gamma-2"}[r.IntN(3)])
	case 7:
		return fmt.Sprintf(titleShapes[7], []string{"nightly export", "reindex"}[r.IntN(2)], r.IntN(90))
	}
	return "" // a ticket without a title
}

// bruteForce mines the same texts the engine should mine (a ticket's title when it
// is added, and again when an update changes it) with a miner of its own, and keeps
// each ticket's pattern id and time.
type bruteForce struct {
	m       *patterns.Miner
	title   map[string]string
	pattern map[string]string // key -> id, "" for none
	created map[string]int64
}

func newBruteForce() *bruteForce {
	return &bruteForce{m: patterns.New(minerOptions()), title: map[string]string{}, pattern: map[string]string{}, created: map[string]int64{}}
}

func (b *bruteForce) apply(key, title string, created int64) {
	old, seen := b.title[key]
	b.title[key], b.created[key] = title, created
	if seen && old == title {
		return
	}
	if title == "" {
		b.pattern[key] = ""
		return
	}
	b.pattern[key] = b.m.ID(b.m.Add(title))
}

// counts is the number of tickets per pattern id, among those created in [from, to).
func (b *bruteForce) counts(from, to int64) map[string]int64 {
	out := map[string]int64{}
	for k, id := range b.pattern {
		if c := b.created[k]; c >= from && c < to {
			out[id]++
		}
	}
	return out
}

func patternRecord(key, title string, created, version int64) ticket.Record {
	t := ticket.Value{}
	if title != "" {
		t = ticket.String(title)
	}
	return ticket.Record{Key: key, Version: version, Layout: patternLayout, Values: []ticket.Value{
		ticket.String(key), t, ticket.String("svc"), ticket.TimeMS(created), ticket.TimeMS(version)}}
}

// TestPatternDimensionAgainstBruteForce writes tickets, updates that change titles and
// updates that keep them, and compares the pattern dimension's breakdown, filters (by
// id, by alias, negated, in a list) and rows with a miner fed by hand.
func TestPatternDimensionAgainstBruteForce(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	e := New(patternSchema(t), nil, Options{WriteChunk: 7})
	bf := newBruteForce()
	r := rand.New(rand.NewPCG(11, 12))
	var recs []ticket.Record
	version := base
	for i := range 3000 {
		key := fmt.Sprintf("T-%d", r.IntN(1500)) // about half are updates
		title := patternTitle(r)
		if old, ok := bf.title[key]; ok && r.IntN(3) == 0 {
			title = old // an update that keeps the title
		}
		created := base + int64(i)*60_000
		if old, ok := bf.created[key]; ok {
			created = old
		}
		version++
		recs = append(recs, patternRecord(key, title, created, version))
		bf.apply(key, title, created)
	}
	e.Apply(recs)
	check := func(stage string) {
		t.Helper()
		from, to := time.UnixMilli(base), time.UnixMilli(base+3000*60_000)
		want := bf.counts(base, base+3000*60_000)
		res, err := e.Breakdown(ctx, BreakdownRequest{Scope: Scope{From: from, To: to}, Field: "pattern", Top: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, b := range res.Buckets {
			got[b.Value] = b.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: breakdown by pattern %v, want %v", stage, got, want)
		}
		ids := []string{}
		for id := range want {
			if id != "" {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		if len(ids) < 5 {
			t.Fatalf("%s: only %d patterns", stage, len(ids))
		}
		total := int64(0)
		for _, n := range want {
			total += n
		}
		count := func(expr string) int64 {
			t.Helper()
			x, err := filter.Parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Stats(ctx, StatsRequest{Scope: Scope{From: from, To: to, Where: x}})
			if err != nil {
				t.Fatal(err)
			}
			return res.Total
		}
		for _, id := range ids {
			if n := count(fmt.Sprintf("pattern = %q", id)); n != want[id] {
				t.Errorf("%s: pattern = %s counts %d, want %d", stage, id, n, want[id])
			}
			if n := count(fmt.Sprintf("pattern != %q", id)); n != total-want[id] {
				t.Errorf("%s: pattern != %s counts %d, want %d", stage, id, n, total-want[id])
			}
		}
		if n := count(fmt.Sprintf("pattern in (%q, %q)", ids[0], ids[1])); n != want[ids[0]]+want[ids[1]] {
			t.Errorf("%s: pattern in (...) counts %d, want %d", stage, n, want[ids[0]]+want[ids[1]])
		}
		if n := count("pattern is null"); n != want[""] {
			t.Errorf("%s: pattern is null counts %d, want %d", stage, n, want[""])
		}
		if n := count(`pattern = "0000000000000"`); n != 0 {
			t.Errorf("%s: an unknown id counts %d", stage, n)
		}
		// Every ticket's row shows its pattern.
		rows, err := e.Tickets(ctx, TicketsRequest{Scope: Scope{From: from, To: to}, Columns: []string{"id", "pattern"}, Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		for i, key := range rows.Columns[0].Strings {
			if got := rows.Columns[1].Strings[i]; got != bf.pattern[key] {
				t.Fatalf("%s: ticket %s has pattern %q, want %q", stage, key, got, bf.pattern[key])
			}
		}
		// Templates and aliases.
		infos, found, err := e.Patterns(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			n, _, _ := bf.m.Resolve(id)
			if !found[i] || infos[i].ID != id || infos[i].Template != bf.m.Pattern(n).Template {
				t.Errorf("%s: Patterns(%s) = %+v %v, want template %q", stage, id, infos[i], found[i], bf.m.Pattern(n).Template)
			}
		}
	}
	check("after the writes")

	// An alias (another masked form of a pattern, which did not found it) selects the
	// pattern too.
	alias := bf.m.ID(bf.m.Add("Disk full on [beta]"))
	aliasID := patternsAlias(t, "Disk full on [beta]")
	if aliasID == alias {
		aliasID = patternsAlias(t, "Disk full on [alpha]")
	}
	x, _ := filter.Parse(fmt.Sprintf("pattern = %q", aliasID))
	res, err := e.Stats(ctx, StatsRequest{Scope: Scope{Where: x}})
	if err != nil {
		t.Fatal(err)
	}
	byID, _ := filter.Parse(fmt.Sprintf("pattern = %q", alias))
	want, err := e.Stats(ctx, StatsRequest{Scope: Scope{Where: byID}})
	if err != nil {
		t.Fatal(err)
	}
	if aliasID == alias || want.Total == 0 || res.Total != want.Total {
		t.Errorf("the alias %s selects %d tickets, the id %s %d", aliasID, res.Total, alias, want.Total)
	}
}

// patternsAlias is the id a text would found a pattern with: the hash of its masked form.
func patternsAlias(t *testing.T, text string) string {
	m := patterns.New(minerOptions())
	return m.ID(m.Add(text))
}

// TestPatternsSurviveTrim: Trim rebuilds the columns; the patterns, their ids and the
// rows' patterns stay.
func TestPatternsSurviveTrim(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := New(patternSchema(t), nil, Options{Window: time.Hour, Now: func() time.Time { return now }})
	r := rand.New(rand.NewPCG(13, 14))
	bf := newBruteForce()
	var recs []ticket.Record
	for i := range 400 {
		key, title := fmt.Sprintf("K-%d", i), patternTitle(r)
		created := now.Add(-50 * time.Minute).Add(time.Duration(i) * 5 * time.Second).UnixMilli()
		recs = append(recs, patternRecord(key, title, created, created))
		bf.apply(key, title, created)
	}
	e.Apply(recs)
	before, err := e.Breakdown(ctx, BreakdownRequest{Field: "pattern", Top: 1000})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Minute) // the first 200 or so fall out of the window
	n, err := e.Trim(ctx)
	if err != nil || n == 0 {
		t.Fatalf("trim dropped %d, %v", n, err)
	}
	cut := now.Add(-time.Hour).UnixMilli()
	want := bf.counts(cut, now.UnixMilli()+1)
	after, err := e.Breakdown(ctx, BreakdownRequest{Field: "pattern", Top: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, b := range after.Buckets {
		got[b.Value] = b.Count
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after trim: %v, want %v (before: %v)", got, want, before.Buckets)
	}
	// A new ticket of a known pattern gets the same id as before the trim.
	title := "CPU saturated on checkout-api-ffff"
	e.Apply([]ticket.Record{patternRecord("NEW", title, now.UnixMilli(), now.UnixMilli())})
	bf.apply("NEW", title, now.UnixMilli())
	rows, err := e.Tickets(ctx, TicketsRequest{Scope: Scope{Where: mustFilter(t, `id = "NEW"`)}, Columns: []string{"id", "pattern"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows.Columns[1].Strings[0]; got != bf.pattern["NEW"] {
		t.Errorf("a ticket after the trim has pattern %q, want %q", got, bf.pattern["NEW"])
	}
}

func mustFilter(t *testing.T, s string) filter.Expr {
	t.Helper()
	x, err := filter.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestPatternsOff: without the schema option there is no pattern field.
func TestPatternsOff(t *testing.T) {
	e := New(testSchema(t), nil, Options{})
	if name, _ := e.PatternField(); name != "" {
		t.Fatalf("pattern field %q without the option", name)
	}
	if _, err := e.Breakdown(context.Background(), BreakdownRequest{Field: "pattern"}); err == nil {
		t.Error("a breakdown by pattern worked without the option")
	}
	if _, _, err := e.Patterns(context.Background(), []string{"0000000000000"}); err == nil {
		t.Error("Patterns worked without the option")
	}
}

// TestPatternsAfterImage: an engine loaded from an image mines its held titles again;
// with tickets that kept their first titles, in the order they came, every ticket gets
// the id it had.
func TestPatternsAfterImage(t *testing.T) {
	ctx := context.Background()
	s := patternSchema(t)
	st := openStore(t)
	r := rand.New(rand.NewPCG(15, 16))
	base := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var recs []ticket.Record
	for i := range 2000 {
		at := base + int64(i)*1000
		recs = append(recs, patternRecord(fmt.Sprintf("I-%d", i), patternTitle(r), at, at))
	}
	if _, err := st.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	a := New(s, st, Options{})
	if _, err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	b := reloaded(ctx, t, a, s, st)
	ra, rb := idsAndPatterns(ctx, t, a), idsAndPatterns(ctx, t, b)
	if len(ra.Columns[0].Strings) != 2000 || !slices.Equal(ra.Columns[0].Strings, rb.Columns[0].Strings) ||
		!slices.Equal(ra.Columns[1].Strings, rb.Columns[1].Strings) {
		t.Fatal("the patterns after loading the image differ")
	}
	// New tickets after the load get the ids the first engine gives them.
	more := []ticket.Record{patternRecord("N-1", "CPU saturated on checkout-api-0001", base, base+1)}
	a.Apply(more)
	b.Apply(more)
	one := TicketsRequest{Scope: Scope{Where: mustFilter(t, `id = "N-1"`)}, Columns: []string{"pattern"}}
	pa, _ := a.Tickets(ctx, one)
	pb, _ := b.Tickets(ctx, one)
	if ga, gb := columnOf(t, pa, "pattern")[0], columnOf(t, pb, "pattern")[0]; ga == "" || ga != gb {
		t.Errorf("a new ticket gets %q after the load, %q before", gb, ga)
	}
}

// TestPatternIDsSurviveImageAfterUpdates: a pattern founded by a ticket whose title then
// changed keeps its id across an image: the id is in URLs, and the ticket that founded
// it no longer shows the masked form the id was made from. Mining the held titles again
// would found the pattern anew on the other ticket's form, under another id.
func TestPatternIDsSurviveImageAfterUpdates(t *testing.T) {
	ctx := context.Background()
	s := patternSchema(t)
	st := openStore(t)
	base := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	first := []ticket.Record{
		patternRecord("A", "Disk full on [alpha]", base, base),
		patternRecord("B", "Disk full on [gamma-2]", base+1000, base+1000),
	}
	r := rand.New(rand.NewPCG(21, 22))
	for i := range 300 {
		at := base + 2000 + int64(i)*1000
		first = append(first, patternRecord(fmt.Sprintf("R-%d", i), patternTitle(r), at, at))
	}
	if _, err := st.Upsert(ctx, first); err != nil {
		t.Fatal(err)
	}
	a := New(s, st, Options{})
	if _, err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// A's title changes; then a third of the others change too.
	var second []ticket.Record
	second = append(second, patternRecord("A", "memory saturated on checkout-api-0001", base, base+900_000))
	for i := 0; i < 300; i += 3 {
		at := base + 2000 + int64(i)*1000
		second = append(second, patternRecord(fmt.Sprintf("R-%d", i), patternTitle(r), at, base+900_000+int64(i)))
	}
	if _, err := st.Upsert(ctx, second); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	b := reloaded(ctx, t, a, s, st)
	ra, rb := idsAndPatterns(ctx, t, a), idsAndPatterns(ctx, t, b)
	if !slices.Equal(ra.Columns[0].Strings, rb.Columns[0].Strings) {
		t.Fatal("the tickets after loading the image differ")
	}
	for i, id := range ra.Columns[1].Strings {
		if rb.Columns[1].Strings[i] != id {
			t.Errorf("ticket %s: pattern %q before the image, %q after", ra.Columns[0].Strings[i], id, rb.Columns[1].Strings[i])
		}
	}
	// B's pattern is the one A founded: its id selects the same tickets, B among them.
	one := TicketsRequest{Scope: Scope{Where: mustFilter(t, `id = "B"`)}, Columns: []string{"pattern"}}
	pa, err := a.Tickets(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	idB := columnOf(t, pa, "pattern")[0]
	byID := TicketsRequest{Scope: Scope{Where: mustFilter(t, fmt.Sprintf("pattern = %q", idB))}, Columns: []string{"id"}}
	want, err := a.Tickets(ctx, byID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Tickets(ctx, byID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(want.Columns[0].Strings, "B") || !slices.Equal(got.Columns[0].Strings, want.Columns[0].Strings) {
		t.Errorf("pattern = %q selects %v after the image, %v before (with B)", idB, got.Columns[0].Strings, want.Columns[0].Strings)
	}
	// The patterns are described alike (templates and counts of texts mined).
	ids := slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(ra.Columns[1].Strings))),
		func(id string) bool { return id == "" }) // tickets without a title
	ia, _, err := a.Patterns(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	ib, _, err := b.Patterns(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ia, ib) {
		t.Errorf("the patterns after the image differ:\n%v\n%v", ia, ib)
	}
	// Both engines go on alike.
	more := []ticket.Record{patternRecord("N", "Disk full on [beta-7]", base+5000, base+990_000)}
	a.Apply(more)
	b.Apply(more)
	nb := TicketsRequest{Scope: Scope{Where: mustFilter(t, `id = "N"`)}, Columns: []string{"pattern"}}
	xa, _ := a.Tickets(ctx, nb)
	xb, _ := b.Tickets(ctx, nb)
	if ga, gb := columnOf(t, xa, "pattern")[0], columnOf(t, xb, "pattern")[0]; ga != gb || ga != idB {
		t.Errorf("a new ticket of B's pattern gets %q after the image, %q before (B's is %q)", gb, ga, idB)
	}
}

// columnOf is the named column of a tickets result.
func columnOf(t *testing.T, res *TicketsResult, name string) []string {
	t.Helper()
	for _, c := range res.Columns {
		if c.Name == name {
			return c.Strings
		}
	}
	t.Fatalf("no column %q in the result", name)
	return nil
}

// TestImageWithAndWithoutPatterns: turning the option on or off keeps the image: an
// engine without patterns skips the image's patterns, and one with patterns mines the
// titles of an image without them.
func TestImageWithAndWithoutPatterns(t *testing.T) {
	ctx := context.Background()
	with := patternSchema(t)
	without, err := schema.Parse([]byte(strings.Replace(patternSchemaYAML, "patterns: {field: title}", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	r := rand.New(rand.NewPCG(23, 24))
	base := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	var recs []ticket.Record
	for i := range 500 {
		at := base + int64(i)*1000
		recs = append(recs, patternRecord(fmt.Sprintf("I-%d", i), patternTitle(r), at, at))
	}
	if _, err := st.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	req := TicketsRequest{Columns: []string{"id", "title"}, Limit: 1000}
	for _, c := range []struct {
		name     string
		from, to *schema.Schema
	}{{"on, then off", with, without}, {"off, then on", without, with}} {
		a := New(c.from, st, Options{})
		if _, err := a.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		b := reloaded(ctx, t, a, c.to, st)
		ra, _ := a.Tickets(ctx, req)
		rb, _ := b.Tickets(ctx, req)
		if !slices.Equal(columnOf(t, ra, "title"), columnOf(t, rb, "title")) {
			t.Errorf("%s: the titles differ after the image", c.name)
		}
		if c.to == with {
			// Mined again in row order, which is the order the tickets came in: the ids
			// are those of an engine that synced from the store.
			fresh := New(with, st, Options{})
			if _, err := fresh.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			pr := TicketsRequest{Columns: []string{"id", "pattern"}, Limit: 1000}
			rf, _ := fresh.Tickets(ctx, pr)
			rb, _ := b.Tickets(ctx, pr)
			if got := columnOf(t, rb, "pattern"); !slices.Equal(got, columnOf(t, rf, "pattern")) || !slices.ContainsFunc(got, func(id string) bool { return id != "" }) {
				t.Errorf("%s: the patterns mined after the image differ from a sync's", c.name)
			}
		}
	}
}

// TestPatternsTrimUnderWrites: Trim runs again and again while a writer adds tickets
// whose titles found new patterns (so the shared dictionary of ids grows during the
// copy); every held ticket keeps the pattern a miner fed the same writes gives it, and
// the race detector sees the copy and the writer apart.
func TestPatternsTrimUnderWrites(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	now := start
	e := New(patternSchema(t), nil, Options{Window: time.Hour, Now: func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return now
	}})
	bf := newBruteForce()
	r := rand.New(rand.NewPCG(31, 32))
	var recs [][]ticket.Record
	for i := range 60 {
		var batch []ticket.Record
		for j := range 100 {
			n := i*100 + j
			title := patternTitle(r)
			if n%3 == 0 { // a plain word that varies: a new pattern each time
				title = fmt.Sprintf("alarm %c%c%c fired on host-%d", 'a'+r.IntN(26), 'a'+r.IntN(26), 'a'+r.IntN(26), n)
			}
			key := fmt.Sprintf("K-%d", n)
			if n%7 == 0 && n > 0 {
				key = fmt.Sprintf("K-%d", r.IntN(n)) // an update, maybe of a dropped ticket
			}
			created := start.Add(time.Duration(n) * time.Second).UnixMilli()
			batch = append(batch, patternRecord(key, title, created, created+int64(n)))
			bf.apply(key, title, created)
		}
		recs = append(recs, batch)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, batch := range recs {
			e.Apply(batch)
			// Time follows the writes (ten minutes past the last ticket), so that
			// no write lands outside the window, where the engine would not mine it.
			clockMu.Lock()
			now = time.UnixMilli(batch[len(batch)-1].Values[3].I).Add(10 * time.Minute)
			clockMu.Unlock()
		}
	}()
	for trims := 0; ; trims++ {
		if _, err := e.Trim(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		default:
			continue
		}
		break
	}
	res, err := e.Tickets(ctx, TicketsRequest{Columns: []string{"id", "pattern"}, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	ids, pats := columnOf(t, res, "id"), columnOf(t, res, "pattern")
	if len(ids) == 0 {
		t.Fatal("no ticket held")
	}
	for i, key := range ids {
		if pats[i] != bf.pattern[key] {
			t.Errorf("ticket %s: pattern %q, want %q", key, pats[i], bf.pattern[key])
		}
	}
}

// reloaded saves a's image and loads it into a new engine of schema s over st, as a
// restarted process does.
func reloaded(ctx context.Context, t *testing.T, a *Engine, s *schema.Schema, st store.Store) *Engine {
	t.Helper()
	path := t.TempDir() + "/engine.image"
	if _, err := a.SaveImage(ctx, path); err != nil {
		t.Fatal(err)
	}
	b := New(s, st, Options{})
	if _, err := b.LoadImage(ctx, path); err != nil {
		t.Fatal(err)
	}
	return b
}

// idsAndPatterns lists every ticket's id and pattern (columns 0 and 1), in the engine's order.
func idsAndPatterns(ctx context.Context, t *testing.T, e *Engine) *TicketsResult {
	t.Helper()
	res, err := e.Tickets(ctx, TicketsRequest{Columns: []string{"id", "pattern"}, Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
