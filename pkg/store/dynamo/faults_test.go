package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// faultProxy stands between the store and dynalite on a loopback port and answers some
// requests with the errors DynamoDB gives under load, in DynamoDB's own wire format.
type faultProxy struct {
	URL string

	proxy  *httputil.ReverseProxy
	server *httptest.Server

	mu     sync.Mutex
	rng    *rand.Rand
	faults []fault  // one is drawn per request, with its probability
	deny   []string // actions answered with AccessDeniedException
	refuse bool     // answer every request as if the credentials were unknown
	counts map[string]int
	// onRequest, when set, is called with the action of each request before it is
	// handled, outside the lock.
	onRequest func(action string)
}

// fault is one kind of injected failure.
type fault struct {
	name   string
	rate   float64
	status int
	code   string
	// after forwards the request first, so the server applies it and only the answer
	// is lost, as when a connection drops after the write.
	after bool
	// actions limits the fault to these actions; none means every action. The fault
	// keeps its rate on the requests of those actions.
	actions []string
	// partial forwards a BatchWriteItem or BatchGetItem with only some of its items or
	// keys, chosen at random, and answers the others as unprocessed, in the response's
	// UnprocessedItems or UnprocessedKeys, as DynamoDB does when it throttles part of a
	// batch. What is answered unprocessed never reached the server. A batch of one is
	// forwarded whole.
	partial bool
}

var (
	throttled    = fault{name: "throttled", status: 400, code: "com.amazonaws.dynamodb.v20120810#ThrottlingException"}
	overCapacity = fault{name: "over capacity", status: 400, code: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}
	unprocessed  = fault{name: "unprocessed", partial: true, actions: []string{"BatchWriteItem", "BatchGetItem"}}
	internal     = fault{name: "500", status: 500, code: "com.amazon.coral.service#InternalFailure"}
	unavailable  = fault{name: "503 after the write", status: 503, code: "com.amazon.coral.availability#ServiceUnavailable", after: true}
)

func startFaultProxy(t testing.TB, target string, seed uint64, faults ...fault) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{
		proxy:  httputil.NewSingleHostReverseProxy(u),
		rng:    rand.New(rand.NewPCG(seed, 1)),
		faults: faults,
		counts: map[string]int{},
	}
	p.server = httptest.NewServer(p)
	t.Cleanup(p.server.Close)
	p.URL = p.server.URL
	return p
}

func (p *faultProxy) denyAction(action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = append(p.deny, action)
}

func (p *faultProxy) refuseCredentials() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
}

// watch calls fn with the action of every request from now on.
func (p *faultProxy) watch(fn func(action string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onRequest = fn
}

// injected counts the faults by name, and by "name/action".
func (p *faultProxy) injected() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	p.mu.Lock()
	if fn := p.onRequest; fn != nil {
		p.mu.Unlock()
		fn(action)
		p.mu.Lock()
	}
	var chosen *fault
	for _, a := range p.deny {
		if a == action {
			p.mu.Unlock()
			writeError(w, 400, "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
				fmt.Sprintf("User: arn:aws:iam::123456789012:user/grafana is not authorized to perform: dynamodb:%s "+
					"on resource: arn:aws:dynamodb:us-east-1:123456789012:table/x because no identity-based policy allows the dynamodb:%s action", action, action))
			return
		}
	}
	if p.refuse {
		p.mu.Unlock()
		writeError(w, 400, "com.amazon.coral.service#UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	roll := p.rng.Float64()
	for i := range p.faults {
		if roll < p.faults[i].rate && p.faults[i].appliesTo(action) {
			chosen = &p.faults[i]
			break
		}
		roll -= p.faults[i].rate
	}
	var keep func(n int) int
	if chosen != nil && chosen.partial {
		// Drawn now, under the lock that guards the generator.
		rng := rand.New(rand.NewPCG(p.rng.Uint64(), 2))
		keep = func(n int) int { return 1 + rng.IntN(n-1) }
	}
	p.mu.Unlock()
	if chosen == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if chosen.partial {
		if p.forwardPart(w, r, action, keep) {
			p.count(chosen.name, action)
		}
		return
	}
	p.count(chosen.name, action)
	if chosen.after {
		p.proxy.ServeHTTP(httptest.NewRecorder(), r)
	}
	writeError(w, chosen.status, chosen.code, "injected: "+chosen.name)
}

func (f *fault) appliesTo(action string) bool {
	if len(f.actions) == 0 {
		return true
	}
	for _, a := range f.actions {
		if a == action {
			return true
		}
	}
	return false
}

func (p *faultProxy) count(name, action string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[name]++
	p.counts[name+"/"+action]++
}

// forwardPart forwards a batch request with only keep(n) of the n items or keys of each
// table, and answers with the server's response plus the rest as unprocessed. It says
// whether it held anything back; a request it cannot split goes through whole.
func (p *faultProxy) forwardPart(w http.ResponseWriter, r *http.Request, action string, keep func(n int) int) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, 400, "com.amazon.coral.service#SerializationException", "proxy: "+err.Error())
		return false
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, 400, "com.amazon.coral.service#SerializationException", "proxy: "+err.Error())
		return false
	}
	held := map[string]any{}
	switch action {
	case "BatchWriteItem":
		var tables map[string][]json.RawMessage
		if err := json.Unmarshal(req["RequestItems"], &tables); err != nil {
			break
		}
		for table, items := range tables {
			if len(items) < 2 {
				continue
			}
			k := keep(len(items))
			held[table] = items[k:]
			tables[table] = items[:k]
		}
		req["RequestItems"], _ = json.Marshal(tables)
	case "BatchGetItem":
		var tables map[string]map[string]json.RawMessage
		if err := json.Unmarshal(req["RequestItems"], &tables); err != nil {
			break
		}
		for table, ka := range tables {
			var keys []json.RawMessage
			if err := json.Unmarshal(ka["Keys"], &keys); err != nil || len(keys) < 2 {
				continue
			}
			k := keep(len(keys))
			rest := map[string]json.RawMessage{}
			for name, v := range ka {
				rest[name] = v
			}
			rest["Keys"], _ = json.Marshal(keys[k:])
			held[table] = rest
			ka["Keys"], _ = json.Marshal(keys[:k])
		}
		req["RequestItems"], _ = json.Marshal(tables)
	}
	if len(held) == 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.proxy.ServeHTTP(w, r)
		return false
	}
	part, _ := json.Marshal(req)
	r.Body = io.NopCloser(bytes.NewReader(part))
	r.ContentLength = int64(len(part))
	r.Header.Set("Content-Length", fmt.Sprint(len(part)))
	rec := httptest.NewRecorder()
	p.proxy.ServeHTTP(rec, r)
	var resp map[string]json.RawMessage
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		// The part failed: its error stands for the whole request, which the client
		// sends again whole.
		copyResponse(w, rec.Code, rec.Header(), rec.Body.Bytes())
		return true
	}
	field := "UnprocessedItems"
	if action == "BatchGetItem" {
		field = "UnprocessedKeys"
	}
	if err := mergeUnprocessed(held, resp[field], action); err != nil {
		writeError(w, 500, "com.amazon.coral.service#InternalFailure", "proxy: "+err.Error())
		return true
	}
	resp[field], _ = json.Marshal(held)
	out, _ := json.Marshal(resp)
	copyResponse(w, http.StatusOK, rec.Header(), out)
	return true
}

// mergeUnprocessed adds to held what the server itself left unprocessed, so that
// nothing the server did not write is reported written.
func mergeUnprocessed(held map[string]any, server json.RawMessage, action string) error {
	if len(server) == 0 {
		return nil
	}
	switch action {
	case "BatchWriteItem":
		var tables map[string][]json.RawMessage
		if err := json.Unmarshal(server, &tables); err != nil {
			return err
		}
		for table, items := range tables {
			mine, _ := held[table].([]json.RawMessage)
			held[table] = append(mine, items...)
		}
	case "BatchGetItem":
		var tables map[string]map[string]json.RawMessage
		if err := json.Unmarshal(server, &tables); err != nil {
			return err
		}
		for table, ka := range tables {
			mine, ok := held[table].(map[string]json.RawMessage)
			if !ok {
				held[table] = ka
				continue
			}
			var a, b []json.RawMessage
			if err := json.Unmarshal(mine["Keys"], &a); err != nil {
				return err
			}
			if err := json.Unmarshal(ka["Keys"], &b); err != nil {
				return err
			}
			mine["Keys"], _ = json.Marshal(append(a, b...))
		}
	}
	return nil
}

// copyResponse writes a response with its DynamoDB checksum, which the SDK verifies.
func copyResponse(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for name, vals := range header {
		w.Header()[name] = vals
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, message)
}

// close stops the proxy's server, leaving a port that nothing answers.
func (p *faultProxy) close() { p.server.Close() }
