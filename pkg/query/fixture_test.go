package query

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// The query tests run over a small data set whose answers are known by construction:
// one ticket a minute before t0 for regularTickets minutes, and a burst of one service
// just after t0. They use a real store, since logs and exports read descriptions from it.

var t0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

const (
	regularTickets = 2300
	burstTickets   = 50
	burstService   = "svc-burst"
)

// fixtureTicket is one ticket as the test wrote it.
type fixtureTicket struct {
	id, title, service, description string
	severity                        float64 // 0: null
	created                         time.Time
}

// fixtureTickets returns the data set: regular ticket i is created i minutes before t0,
// on service svc-(i%7), severity 1+i%5 (null when i%11 == 0); burst ticket j is created
// 1m+j*12s after t0 on svc-burst. Descriptions hold tabs, newlines, quotes, commas and
// backslashes, which exports must keep intact.
func fixtureTickets() []fixtureTicket {
	var out []fixtureTicket
	for i := range regularTickets {
		ft := fixtureTicket{
			id:          fmt.Sprintf("INC%05d", i),
			title:       fmt.Sprintf("disk full on node %d", i),
			service:     fmt.Sprintf("svc-%d", i%7),
			severity:    float64(1 + i%5),
			created:     t0.Add(-time.Duration(i) * time.Minute),
			description: fmt.Sprintf("first line %d\tcolumn\nsecond line, \"quoted\" \\ back", i),
		}
		if i%11 == 0 {
			ft.severity = 0
		}
		if i%3 == 0 {
			ft.title = fmt.Sprintf("Latency high on node %d", i)
		}
		out = append(out, ft)
	}
	for j := range burstTickets {
		out = append(out, fixtureTicket{
			id:          fmt.Sprintf("BURST%03d", j),
			title:       "checkout latency",
			service:     burstService,
			severity:    1,
			created:     t0.Add(time.Minute + time.Duration(j)*12*time.Second),
			description: "burst",
		})
	}
	return out
}

// newFixture stores the data set in a new embedded store and loads an engine from it.
func newFixture(t *testing.T) (*engine.Engine, *Env, []fixtureTicket) {
	t.Helper()
	ctx := context.Background()
	s := schema.Default()
	env, err := NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "tickets.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	layout := ticket.NewLayout([]string{"id", "severity", "title", "service", "created", "description"})
	tickets := fixtureTickets()
	recs := make([]ticket.Record, 0, len(tickets))
	for _, ft := range tickets {
		sev := ticket.Number(ft.severity)
		if ft.severity == 0 {
			sev = ticket.Value{}
		}
		recs = append(recs, ticket.Record{Key: ft.id, Version: 1, Layout: layout, Values: []ticket.Value{
			ticket.String(ft.id), sev, ticket.String(ft.title), ticket.String(ft.service), ticket.TimeOf(ft.created), ticket.String(ft.description),
		}})
	}
	if _, err := st.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(s, st, engine.Options{Open: env.Open})
	if _, err := eng.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return eng, env, tickets
}
