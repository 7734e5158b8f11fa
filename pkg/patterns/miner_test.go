package patterns

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func masks(s string) string {
	sc := scanner{collapse: true, quotes: true}
	var out []string
	for _, t := range sc.scan(s) {
		out = append(out, t.String())
	}
	return strings.Join(out, " ")
}

func TestMasking(t *testing.T) {
	tests := []struct{ in, want string }{
		{"High 5xx rate on checkout-api-7f9c in us-east-1a", "High 5xx rate on <*> in <*>"},
		{"disk usage above 93% in eu-west-1", "disk usage above <*> in <*>"},
		{"p99 latency 1250 ms on 10.0.3.17:8080", "<*> latency <*> ms on <*>"},
		{"request 3f2b9c1e-8a4d-4e6f-9b0a-1c2d3e4f5a6b failed", "request <*> failed"},
		{"commit deadbeef12 broke the build", "commit <*> broke the build"},
		{"commit deadbeef broke the build", "commit deadbeef broke the build"}, // a word, for all we know
		{"job 'nightly export' failed after 3.5s", "job <*> failed after <*>"},
		{`user "bob smith" locked out`, "user <*> locked out"},
		// A quoted value that is not all plain words is scanned word by word: its
		// constant words (the method) stay, its variable ones are masked.
		{`10.11.10.1 "GET /v2/54fadb41/servers/detail HTTP/1.1" status: 200`, `<*> "GET <*> status: <*>`},
		{`10.11.10.1 "POST /v2/54fadb41/servers HTTP/1.1" status: 200`, `<*> "POST <*> status: <*>`},
		{`job 'export-7' failed`, `job <*> failed`},
		{"it's the owner's fault", "it's the owner's fault"},
		{"S3 bucket errors on ec2 and k8s via http2", "S3 bucket errors on ec2 and k8s via http2"},
		{"timeout (12ms), retry=3 host=web-01.", "timeout (<*>), retry=<*> host=<*>."},
		{"[node-42] restarted", "[<*>] restarted"},
		{"mail to ops@example.com bounced", "mail to <*> bounced"},
		{"fetch https://status.example.com failed", "fetch <*> failed"},
		{"volume /var/lib/mysql full", "volume <*> full"},
		{"read/write errors", "read/write errors"},
		{"connection at Fri Jun 17 07:07:00 2005", "connection at <*>"},
		{"cache May help", "cache <*> help"},
		{"  spaces\tand\ttabs  ", "spaces and tabs"},
		{"", ""},
		{"x <*> y", "x <*> y"},
		{"ünïcödé wörds 42", "ünïcödé wörds <*>"},
		{"-12.5 dB drop", "<*> dB drop"},
	}
	for _, tt := range tests {
		if got := masks(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskingKeepsRunsWhenAsked(t *testing.T) {
	sc := scanner{quotes: true}
	if n := len(sc.scan("at 07:07:00 2005 on 10.0.0.1")); n != 5 {
		t.Errorf("with runs kept the text has %d tokens, want 5", n)
	}
}

func TestTooManyWords(t *testing.T) {
	long := strings.Repeat("word ", 1000)
	m := New(Options{})
	c := m.Add(long)
	if n := len(strings.Fields(m.Pattern(c).Template)); n != maxTokens {
		t.Errorf("a text of 1000 words has a template of %d words, want %d", n, maxTokens)
	}
}

func TestMining(t *testing.T) {
	m := New(Options{})
	a := m.Add("High 5xx rate on checkout-api-7f9c in us-east-1a")
	b := m.Add("High 5xx rate on payments-api-2b1d in eu-west-1c")
	c := m.Add("CPU saturated on checkout-api-7f9c")
	d := m.Add("memory saturated on checkout-api-7f9c")
	e := m.Add("Disk full on beta-3")
	f := m.Add("Disk full on alpha")
	g := m.Add("Disk full on gamma")
	if a != b {
		t.Errorf("titles that differ in masked parts got patterns %d and %d", a, b)
	}
	if c == d {
		t.Errorf("CPU and memory saturation share pattern %d: a plain word must not become a wildcard", c)
	}
	if e != f || f != g {
		t.Errorf("plain words in a wildcard's place did not join the pattern: %d %d %d", e, f, g)
	}
	if got := m.Pattern(a).Template; got != "High 5xx rate on <*> in <*>" {
		t.Errorf("template %q", got)
	}
	if got := m.Pattern(e).Template; got != "Disk full on <*>" {
		t.Errorf("template %q", got)
	}
	if m.Pattern(a).Seen != 2 {
		t.Errorf("seen %d, want 2", m.Pattern(a).Seen)
	}
}

// TestGeneralization: a word that differs (not a plain word) becomes a wildcard; the
// pattern keeps its id and its texts.
func TestGeneralization(t *testing.T) {
	m := New(Options{})
	a := m.Add("replica lag on [db-main] rising")
	id := m.ID(a)
	tmpl := m.Pattern(a).Template
	b := m.Add("replica lag on [db-aux] rising")
	if a != b {
		t.Fatalf("a text differing in one bracketed name founded pattern %d beside %d", b, a)
	}
	if m.ID(a) != id {
		t.Errorf("the id changed from %s to %s on generalization", id, m.ID(a))
	}
	if got := m.Pattern(a).Template; got == tmpl || got != "replica lag on <*> rising" {
		t.Errorf("template after generalization %q (before %q)", got, tmpl)
	}
	// The text that founded the pattern still maps to it.
	if c := m.Add("replica lag on [db-main] rising"); c != a {
		t.Errorf("the founding text now maps to %d, not %d", c, a)
	}
}

// TestStability adds random titles and checks, after each, that every pattern number
// handed out before still resolves, through its id, to a pattern that holds every
// text it held before (a pattern only gains texts).
func TestStability(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m := New(Options{Threshold: 0.6})
	var texts, ids []string
	var got []uint32
	for i := range 3000 {
		s := randomTitle(r)
		texts = append(texts, s)
		c := m.Add(s)
		got = append(got, c)
		ids = append(ids, m.ID(c))
		if i%100 != 99 {
			continue
		}
		for j, c := range got {
			res, ok, err := m.Resolve(ids[j])
			if err != nil || !ok || res != c {
				t.Fatalf("after %d texts: the id of pattern %d resolves to %d %v %v", i+1, c, res, ok, err)
			}
			// The same text again lands in the same pattern, whose id is unchanged.
			if again := m.Add(texts[j]); again != c || m.ID(c) != ids[j] {
				t.Fatalf("after %d texts: %q moved from pattern %d to %d", i+1, texts[j], c, again)
			}
			// Its template still matches the text: generalizing only widened it.
			if !matches(m.Pattern(c).Template, texts[j]) {
				t.Fatalf("after %d texts: template %q no longer matches %q", i+1, m.Pattern(c).Template, texts[j])
			}
		}
	}
	if m.Len() < 10 || m.Len() > 1000 {
		t.Errorf("%d patterns for 3000 random titles of 24 templates", m.Len())
	}
}

// matches says whether a template matches a text: equal words, or a wildcard for one
// or more masked words (runs are collapsed).
func matches(tmpl, text string) bool {
	sc := scanner{collapse: true, quotes: true}
	toks := sc.scan(text)
	words := strings.Fields(tmpl)
	if len(words) != len(toks) {
		return false
	}
	for i, w := range words {
		if w != Wildcard && w != toks[i].String() {
			return false
		}
	}
	return true
}

var titleTemplates = []string{
	"High 5xx rate on %h in %z", "p99 latency above %n ms in %z", "disk usage above %p in %z",
	"CPU saturated on %h", "memory saturated on %h", "health checks failing on %n hosts in %z",
	"deployment %x failed in %z", "certificate for %d expires in %n days", "queue backlog above %n messages",
	"database connection errors in %z", "pod %h restarting repeatedly", "job '%w' failed after %ns",
	"replication lag %ns on [%w]", "request %u timed out", "error budget burn %p on %w",
	"TLS handshake failures from %i", "node %h not ready", "DNS lookups for %d failing",
	"quota %p used by team %w", "slow query on %h took %nms", "cache hit ratio %p on %w",
	"login failures for user %e", "feature flag %w toggled", "backup of %h missing",
}

func randomTitle(r *rand.Rand) string {
	words := []string{"orders", "billing", "search", "checkout", "auth", "media"}
	t := titleTemplates[r.IntN(len(titleTemplates))]
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '%' {
			b.WriteByte(t[i])
			continue
		}
		i++
		switch t[i] {
		case 'h':
			fmt.Fprintf(&b, "%s-%s-%04x", words[r.IntN(len(words))], []string{"api", "worker", "db"}[r.IntN(3)], r.IntN(1<<16))
		case 'z':
			fmt.Fprintf(&b, "%s-%d%c", []string{"us-east", "eu-west", "ap-south"}[r.IntN(3)], 1+r.IntN(3), 'a'+rune(r.IntN(3)))
		case 'n':
			fmt.Fprintf(&b, "%d", r.IntN(5000))
		case 'p':
			fmt.Fprintf(&b, "%d%%", r.IntN(100))
		case 'x':
			fmt.Fprintf(&b, "%08x", r.Uint32())
		case 'd':
			fmt.Fprintf(&b, "%s.example.com", words[r.IntN(len(words))])
		case 'w':
			b.WriteString(words[r.IntN(len(words))])
		case 'u':
			fmt.Fprintf(&b, "%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()&(1<<48-1))
		case 'i':
			fmt.Fprintf(&b, "10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256))
		case 'e':
			fmt.Fprintf(&b, "%s%d@example.com", words[r.IntN(len(words))], r.IntN(100))
		}
	}
	return b.String()
}

// TestDeterminism mines the same texts twice, in two miners, and compares everything
// an outsider sees.
func TestDeterminism(t *testing.T) {
	run := func() []string {
		r := rand.New(rand.NewPCG(1, 2))
		m := New(Options{})
		var out []string
		for range 5000 {
			c := m.Add(randomTitle(r))
			p := m.Pattern(c)
			out = append(out, fmt.Sprint(c, p.ID, p.Template))
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("text %d: %s, then %s", i, a[i], b[i])
		}
	}
}

// TestAliasesAcrossOrders: a pattern founded by another text in another order still
// resolves by the id it had in the first order.
func TestAliasesAcrossOrders(t *testing.T) {
	texts := []string{"Disk full on [alpha]", "Disk full on [beta]", "Disk full on [gamma]"}
	m1, m2 := New(Options{}), New(Options{})
	for _, s := range texts {
		m1.Add(s)
	}
	for i := len(texts) - 1; i >= 0; i-- {
		m2.Add(texts[i])
	}
	id1, id2 := m1.ID(0), m2.ID(0)
	if id1 == id2 {
		t.Fatalf("the test needs orders that found the pattern on different texts")
	}
	if c, ok, err := m2.Resolve(id1); err != nil || !ok || c != 0 {
		t.Errorf("the first order's id %s does not resolve in the second: %d %v %v", id1, c, ok, err)
	}
}

func TestIDs(t *testing.T) {
	for _, h := range []uint64{0, 1, 31, 32, 1<<63 + 5, ^uint64(0)} {
		s := FormatID(h)
		if len(s) != IDLen {
			t.Errorf("FormatID(%d) = %q", h, s)
		}
		back, err := ParseID(strings.ToUpper(s))
		if err != nil || back != h {
			t.Errorf("ParseID(%q) = %d, %v; want %d", s, back, err, h)
		}
	}
	for _, bad := range []string{"", "abc", "0000000000000u", "0000000000000l", "g000000000000", "zzzzzzzzzzzzz"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrBadID) {
			t.Errorf("ParseID(%q) = %v, want ErrBadID", bad, err)
		}
	}
	m := New(Options{})
	m.Add("something happened")
	if _, ok, err := m.Resolve(FormatID(12345)); ok || err != nil {
		t.Errorf("an unknown id resolved: %v %v", ok, err)
	}
}

func TestMaxPatterns(t *testing.T) {
	m := New(Options{MaxPatterns: 3})
	defer func() {
		if m.Len() > 3+2 {
			t.Errorf("%d patterns with MaxPatterns 3 and two lengths", m.Len())
		}
	}()
	for _, s := range []string{"alpha one", "beta two", "gamma three", "delta four", "epsilon five", "zeta six words"} {
		m.Add(s)
	}
	if m.Len() > 3+2 {
		t.Errorf("%d patterns with MaxPatterns 3 and two lengths", m.Len())
	}
	if c := m.Add("omega seven"); m.Pattern(c).Template != "<*> <*>" {
		t.Errorf("a two-word text beyond the bound went to %q, want the catch-all", m.Pattern(c).Template)
	}
}

func TestMasksOption(t *testing.T) {
	m := New(Options{Masks: []*regexp.Regexp{regexp.MustCompile(`user (\w+)`), regexp.MustCompile(`blk_-?\d+`)}})
	a := m.Add("session closed for user cyrus")
	b := m.Add("session closed for user news")
	if a != b || m.Pattern(a).Template != "session closed for user <*>" {
		t.Errorf("group mask: %d %d %q", a, b, m.Pattern(a).Template)
	}
	c := m.Add("deleting blk_-123 now")
	if m.Pattern(c).Template != "deleting <*> now" {
		t.Errorf("whole mask: %q", m.Pattern(c).Template)
	}
}

func TestGroupingAccuracy(t *testing.T) {
	truth := []string{"A", "A", "B", "B", "C"}
	if got := groupingAccuracy(truth, []uint32{1, 1, 2, 2, 3}); got != 1 {
		t.Errorf("perfect grouping scored %v", got)
	}
	// B split: its two messages are wrong; A and C right.
	if got := groupingAccuracy(truth, []uint32{1, 1, 2, 4, 3}); got != 0.6 {
		t.Errorf("split grouping scored %v, want 0.6", got)
	}
	// B and C merged: three wrong.
	if got := groupingAccuracy(truth, []uint32{1, 1, 2, 2, 2}); got != 0.4 {
		t.Errorf("merged grouping scored %v, want 0.4", got)
	}
}

// TestSaveLoad: a miner saved half way and loaded goes on exactly as the one that was
// not saved: same pattern numbers, ids, templates and counts, and it saves to the same
// bytes. A cut or a wrong format is an error, never a panic or a miner.
func TestSaveLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	var texts []string
	for range 5000 {
		texts = append(texts, randomTitle(r))
	}
	for _, opts := range []Options{{}, {Prefix: 3, WordThreshold: 0.6, MaxLeaf: 4}} {
		a := New(opts)
		for _, s := range texts[:2500] {
			a.Add(s)
		}
		saved := a.AppendBinary(nil)
		b, err := Load(opts, saved)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts[2500:] {
			if ca, cb := a.Add(s), b.Add(s); ca != cb {
				t.Fatalf("text %d %q: pattern %d without the save, %d with", 2500+i, s, ca, cb)
			}
		}
		if a.Len() != b.Len() {
			t.Fatalf("%d patterns without the save, %d with", a.Len(), b.Len())
		}
		for c := range uint32(a.Len()) {
			if pa, pb := a.Pattern(c), b.Pattern(c); pa != pb {
				t.Errorf("pattern %d: %+v without the save, %+v with", c, pa, pb)
			}
		}
		if !bytes.Equal(a.AppendBinary(nil), b.AppendBinary(nil)) {
			t.Error("the two miners save to different bytes")
		}
		for n := 0; n < len(saved); n += 1 + n/64 {
			if m, err := Load(opts, saved[:n]); err == nil || m != nil {
				t.Fatalf("a save cut to %d of its %d bytes loaded", n, len(saved))
			}
		}
		if _, err := Load(opts, append(saved[:len(saved):len(saved)], 0)); err == nil {
			t.Error("a save with a byte after its end loaded")
		}
		other := binary.AppendUvarint(nil, saveFormat+1)
		if _, err := Load(opts, append(other, saved[1:]...)); err == nil || !strings.Contains(err.Error(), "format") {
			t.Errorf("a save of another format: %v", err)
		}
		// Flipped bytes: whatever they make, Load does not panic.
		for i := 0; i < len(saved); i += 7 {
			c := bytes.Clone(saved)
			c[i] ^= 0x5a
			_, _ = Load(opts, c)
		}
	}
}
