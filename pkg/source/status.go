package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spacetime/tickets/pkg/store"
)

// State is the poller's state in a word.
type State string

const (
	// StateStarting: no poll has finished yet.
	StateStarting State = "starting"
	// StateOK: the last poll succeeded.
	StateOK State = "ok"
	// StateFailing: the last poll failed; the store still answers with what it holds.
	StateFailing State = "failing"
	// StateStopped: the poller was stopped.
	StateStopped State = "stopped"
	// StateStandby: another process holds the polling lease and polls; this one takes
	// over when that one stops renewing it.
	StateStandby State = "standby"
)

// Duration is a time.Duration that reads and writes as text such as "1m30s".
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads text such as "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Problem is an error with the time it happened.
type Problem struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
	// Detail is the start of what the ticket system answered (a Detailer's), redacted and
	// short, for the health check of an admin only: it never goes into the status
	// resource, the stats frame or the log, which others read.
	Detail string `json:"-"`
}

// Detailer is an error whose message leaves out what the ticket system answered, which
// Detail gives: an API or a proxy may echo the request's headers, credentials included,
// in an error page, and a dashboard's viewers see the messages.
type Detailer interface {
	Detail() string
}

// detailOf is the Detail of the first Detailer in err's chain, "" without one.
func detailOf(err error) string {
	var d Detailer
	if errors.As(err, &d) {
		return d.Detail()
	}
	return ""
}

// Totals sum what the poller did since it started.
type Totals struct {
	Records  int                `json:"records"`
	Result   store.UpsertResult `json:"result"`
	Rejected int                `json:"rejected"`
}

// Status is what the health check, the stats query and the status resource say about a
// poller.
type Status struct {
	Source   string   `json:"source"`
	Interval Duration `json:"interval"`
	State    State    `json:"state"`
	// Polling is set while a poll runs.
	Polling bool `json:"polling"`
	// Watermark: every change the source made before it has been read.
	Watermark time.Time `json:"watermark,omitzero"`
	// Lag is how long ago the last successful poll started (set by Snapshot): the store
	// may miss changes the source made since then.
	Lag      Duration  `json:"lag,omitempty"`
	NextPoll time.Time `json:"nextPoll,omitzero"`

	LastPoll    *Report `json:"lastPoll,omitempty"`
	LastSuccess *Report `json:"lastSuccess,omitempty"`

	Polls               int      `json:"polls"`
	Failures            int      `json:"failures"`
	ConsecutiveFailures int      `json:"consecutiveFailures"`
	Retries             int      `json:"retries"`
	LastError           *Problem `json:"lastError,omitempty"`
	LastRetry           *Problem `json:"lastRetry,omitempty"`

	Totals        Totals   `json:"totals"`
	RecentRejects []Reject `json:"recentRejects,omitempty"`

	// Lease is set when several processes share the store and a lease elects the one
	// that polls.
	Lease *LeaseStatus `json:"lease,omitempty"`
}

// Status returns a copy of the poller's status as of now, with the lag computed.
func (p *Poller) Status() Status {
	p.mu.Lock()
	s := p.status
	s.RecentRejects = append([]Reject(nil), p.status.RecentRejects...)
	if s.Lease != nil {
		l := *s.Lease
		s.Lease = &l
	}
	p.mu.Unlock()
	if !s.Watermark.IsZero() {
		s.Lag = Duration(p.now().Sub(s.Watermark).Round(time.Second))
	}
	return s
}

// Healthy reports whether the last poll succeeded (or none has finished yet), or another
// process polls: not when the lease cannot be reached.
func (s Status) Healthy() bool {
	if s.State == StateStandby {
		return s.Lease == nil || s.Lease.Error == nil
	}
	return s.State != StateFailing
}

// Summary says in a sentence or two how the polling goes, for the health check and the
// notices of the stats query.
func (s Status) Summary(now time.Time) string {
	var b strings.Builder
	switch s.State {
	case StateStarting:
		fmt.Fprintf(&b, "The first poll of the %s is running.", s.Source)
	case StateStopped:
		fmt.Fprintf(&b, "Polling of the %s is stopped.", s.Source)
	case StateStandby:
		l := s.Lease
		switch {
		case l == nil:
			fmt.Fprintf(&b, "Standby: another process polls the %s.", s.Source)
		case l.Error != nil:
			fmt.Fprintf(&b, "Standby: the polling lease of the %s cannot be taken or read: %s.", s.Source, strings.TrimSuffix(l.Error.Message, "."))
		default:
			fmt.Fprintf(&b, "Standby: %s polls the %s; this server (%s) takes over if that one stops renewing its lease (renewed until %s).",
				l.Holder, s.Source, l.Self, l.Expires.UTC().Format("15:04:05 MST"))
			if !s.Watermark.IsZero() {
				fmt.Fprintf(&b, " Its last successful poll started %s ago.", ago(now, s.Watermark))
			}
		}
	case StateOK:
		rep := s.LastSuccess
		fmt.Fprintf(&b, "The %s was polled %s ago (every %s): %d tickets read, %d new, %d updated",
			s.Source, ago(now, rep.Start), time.Duration(s.Interval), rep.Records, rep.Result.Inserted, rep.Result.Updated)
		if rep.Rejected > 0 {
			fmt.Fprintf(&b, ", %d rejected", rep.Rejected)
		}
		b.WriteString(".")
		if rep.Retries > 0 {
			fmt.Fprintf(&b, " It needed %d retries.", rep.Retries)
		}
	case StateFailing:
		fmt.Fprintf(&b, "Polling the %s fails", s.Source)
		if s.ConsecutiveFailures > 1 {
			fmt.Fprintf(&b, " (%d polls in a row)", s.ConsecutiveFailures)
		}
		fmt.Fprintf(&b, ": %s.", strings.TrimSuffix(s.LastError.Message, "."))
		if s.LastSuccess != nil {
			fmt.Fprintf(&b, " The last successful poll was %s ago; queries answer from the tickets stored until then.", ago(now, s.LastSuccess.Start))
		} else {
			b.WriteString(" No poll has succeeded yet; queries answer from the tickets already stored.")
		}
	}
	if s.Totals.Rejected > 0 && len(s.RecentRejects) > 0 {
		last := s.RecentRejects[len(s.RecentRejects)-1]
		fmt.Fprintf(&b, " %d records were rejected since the start; the last: %s.", s.Totals.Rejected, strings.TrimSuffix(last.String(), "."))
	}
	return b.String()
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "less than a second"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
