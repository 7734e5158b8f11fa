package dynamo

import (
	"fmt"
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
}

var (
	throttled    = fault{name: "throttled", status: 400, code: "com.amazonaws.dynamodb.v20120810#ThrottlingException"}
	overCapacity = fault{name: "over capacity", status: 400, code: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}
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
		if roll < p.faults[i].rate {
			chosen = &p.faults[i]
			p.counts[chosen.name]++
			break
		}
		roll -= p.faults[i].rate
	}
	p.mu.Unlock()
	if chosen == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if chosen.after {
		p.proxy.ServeHTTP(httptest.NewRecorder(), r)
	}
	writeError(w, chosen.status, chosen.code, "injected: "+chosen.name)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, message)
}

// close stops the proxy's server, leaving a port that nothing answers.
func (p *faultProxy) close() { p.server.Close() }
