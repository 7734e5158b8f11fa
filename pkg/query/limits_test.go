package query

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spacetime/tickets/pkg/engine"
	"github.com/spacetime/tickets/pkg/gen"
	"github.com/spacetime/tickets/pkg/schema"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/ticket"
)

// TestRowsPerFrameAreCapped asks for a trillion rows over more tickets than a frame
// holds: the frame has engine.MaxRows rows and a notice that says how many were left out
// and where to get them. Before, such a logs query built a frame of 444 MB that Grafana's
// own decoder refused, after using 3.5 GiB.
func TestRowsPerFrameAreCapped(t *testing.T) {
	ctx := context.Background()
	const tickets = engine.MaxRows + 5_000
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "tickets.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	err = gen.Batches(ctx, gen.Options{Tickets: tickets, End: end, Seed: 3}, 5000, func(batch []ticket.Record) error {
		_, err := st.Upsert(ctx, batch)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	env, err := NewEnv(schema.Default())
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(env.Schema, st, engine.Options{Open: env.Open})
	if _, err := eng.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"logs", "tickets"} {
		t.Run(typ, func(t *testing.T) {
			q, err := Decode([]byte(fmt.Sprintf(`{"queryType": %q, "limit": 1000000000000, "noDefaultFilter": true, "columns": %s}`, typ, allColumns(env.Schema))))
			if err != nil {
				t.Fatal(err)
			}
			frames, err := Run(ctx, eng, env, Request{Query: q, From: end.Add(-40 * 24 * time.Hour), To: end.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			fr := frames[0]
			if n := fr.Rows(); n != engine.MaxRows {
				t.Fatalf("the frame has %d rows, want the cap of %d", n, engine.MaxRows)
			}
			if fr.Meta == nil || len(fr.Meta.Notices) != 1 {
				t.Fatalf("want one notice, got %+v", fr.Meta)
			}
			text := fr.Meta.Notices[0].Text
			if !strings.Contains(text, fmt.Sprintf("(%d left out)", tickets-engine.MaxRows)) || !strings.Contains(text, "export") {
				t.Fatalf("the notice %q does not say how many were left out and that the export gives them", text)
			}
		})
	}
}

func allColumns(s *schema.Schema) string {
	var names []string
	for _, c := range s.Columns {
		names = append(names, c.Name)
	}
	b, _ := json.Marshal(names)
	return string(b)
}
