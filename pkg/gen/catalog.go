package gen

import (
	"math/rand/v2"
	"strconv"
)

// The catalog is fixed, whatever the seed: the same services, regions and categories
// exist in every data set, so that examples and dashboards can name them.

// domains are the product areas; each has a service per suffix and its own on-call group.
var domains = []string{
	"checkout", "payments", "search", "catalog", "auth", "orders", "inventory", "shipping",
	"billing", "pricing", "cart", "identity", "recommendations", "reviews", "notifications",
	"messaging", "media", "profile", "ads", "analytics", "fraud", "loyalty", "gateway",
	"storage", "dns",
}

var suffixes = []string{"api", "worker", "db", "cache", "frontend", "queue", "scheduler", "indexer"}

// regions are cloud regions, most popular first.
var regions = []string{
	"us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-1", "ap-northeast-1",
	"us-east-2", "eu-west-2", "ap-southeast-2", "ap-south-1", "sa-east-1", "ca-central-1",
	"eu-north-1", "us-west-1", "eu-west-3", "ap-northeast-2", "eu-south-1", "me-south-1",
	"af-south-1", "ap-east-1",
}

// otherGroups take a small share of tickets away from the service's own group.
var otherGroups = []string{"noc", "sre-escalations"}

type service struct {
	name  string
	group string
}

// services returns the 200 services, most popular first. The order is a fixed shuffle,
// so that popularity does not follow the alphabet or the suffixes.
func services() []service {
	out := make([]service, 0, len(domains)*len(suffixes))
	for _, d := range domains {
		for _, s := range suffixes {
			group := d + "-oncall"
			switch s {
			case "db", "cache":
				group = "data-platform"
			case "queue":
				group = "messaging-platform"
			}
			out = append(out, service{name: d + "-" + s, group: group})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// kind is a ticket type: its category, items, how common it is, and how its title and the
// first sentence of its description read.
type kind struct {
	category string
	name     string
	slug     string
	items    []string
	weight   float64
	// title appends the title after "[service] "; host is one of the service's hosts
	// (service-xxxx), so that titles have the variable parts real alarms have (hosts,
	// zones, numbers, ids) and the demo shows patterns. The parts added for that are
	// drawn from v, bits of the ticket's own, not from r: the sequence r gives the rest
	// of the data set stays as it was.
	title func(b []byte, region, host string, v uint64, r *rand.Rand) []byte
	// detail appends what was observed.
	detail func(b []byte, r *rand.Rand) []byte
	// outage marks kinds that an outage can be.
	outage bool
}

// appendZone appends an availability zone of region: us-east-1a.
func appendZone(b []byte, region string, v uint64) []byte {
	b = append(b, region...)
	return append(b, byte('a'+v%3))
}

// appendHost appends one of a service's 16 hosts: checkout-api-7f9c.
func appendHost(b []byte, service string, v uint64) []byte {
	const hex = "0123456789abcdef"
	b = append(b, service...)
	b = append(b, '-')
	n := int(mix64(uint64(len(service))^v>>56&15) & 0xffff)
	for shift := 12; shift >= 0; shift -= 4 {
		b = append(b, hex[(n>>shift)&15])
	}
	return b
}

// mix64 is SplitMix64's finalizer: bits of a ticket from its number.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func appendPct(b []byte, r *rand.Rand, lo, hi int) []byte {
	return strconv.AppendInt(b, int64(lo+r.IntN(hi-lo+1)), 10)
}

var kinds = []kind{
	{category: "Availability", name: "5xx errors", slug: "5xx-errors", items: []string{"load balancer", "API endpoint", "ingress"}, weight: 16, outage: true,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "5xx error rate above "...)
			b = appendPct(b, r, 1, 20)
			b = append(b, "% in "...)
			return appendZone(b, region, v)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "error rate "...)
			b = appendPct(b, r, 2, 60)
			return append(b, "% over 5 minutes"...)
		}},
	{category: "Availability", name: "Health check failing", slug: "health-check", items: []string{"instance", "container", "pod"}, weight: 10, outage: true,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "health checks failing on "...)
			b = strconv.AppendInt(b, int64(2+r.IntN(40)), 10)
			b = append(b, " hosts in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = strconv.AppendInt(b, int64(2+r.IntN(40)), 10)
			return append(b, " targets unhealthy behind the load balancer"...)
		}},
	{category: "Availability", name: "Crash loop", slug: "crash-loop", items: []string{"pod", "process"}, weight: 5,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "task "...)
			b = append(b, host...)
			b = append(b, " restarting repeatedly in "...)
			return appendZone(b, region, v)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = strconv.AppendInt(b, int64(3+r.IntN(50)), 10)
			return append(b, " restarts in the last 10 minutes"...)
		}},
	{category: "Performance", name: "Latency", slug: "latency", items: []string{"p99", "p95", "p50"}, weight: 18, outage: true,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "p99 latency above "...)
			b = strconv.AppendInt(b, int64(250*(1+r.IntN(12))), 10)
			b = append(b, " ms in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "p99 latency "...)
			b = strconv.AppendInt(b, int64(300+r.IntN(5000)), 10)
			return append(b, " ms for 3 datapoints"...)
		}},
	{category: "Performance", name: "Throughput drop", slug: "throughput", items: []string{"requests", "messages"}, weight: 6,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "request volume dropped "...)
			b = appendPct(b, r, 20, 90)
			b = append(b, "% in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "traffic at "...)
			b = appendPct(b, r, 10, 80)
			return append(b, "% of the same hour last week"...)
		}},
	{category: "Capacity", name: "Disk", slug: "disk", items: []string{"disk space", "inodes"}, weight: 9,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "disk usage above "...)
			b = appendPct(b, r, 85, 99)
			b = append(b, "% on "...)
			b = append(b, host...)
			b = append(b, " in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "volume "...)
			b = appendPct(b, r, 85, 99)
			return append(b, "% full and growing"...)
		}},
	{category: "Capacity", name: "Memory", slug: "memory", items: []string{"heap", "RSS"}, weight: 7,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "memory usage above "...)
			b = appendPct(b, r, 85, 99)
			b = append(b, "% on "...)
			b = append(b, host...)
			b = append(b, " in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "memory "...)
			b = appendPct(b, r, 85, 99)
			return append(b, "% of the limit"...)
		}},
	{category: "Capacity", name: "CPU", slug: "cpu", items: []string{"CPU"}, weight: 6,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "CPU saturated on "...)
			b = append(b, host...)
			b = append(b, " in "...)
			return appendZone(b, region, v)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "CPU "...)
			b = appendPct(b, r, 90, 100)
			return append(b, "% on most hosts"...)
		}},
	{category: "Dependency", name: "Database", slug: "database", items: []string{"connections", "replication lag", "deadlocks"}, weight: 8, outage: true,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "database connection errors from "...)
			b = append(b, host...)
			b = append(b, " to 10.0."...)
			b = strconv.AppendUint(b, v>>8&0xff, 10)
			b = append(b, '.')
			b = strconv.AppendUint(b, 1+(v>>16&0xff)%254, 10)
			b = append(b, ":5432 in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = strconv.AppendInt(b, int64(10+r.IntN(900)), 10)
			return append(b, " failed connections a minute"...)
		}},
	{category: "Dependency", name: "Queue backlog", slug: "queue-backlog", items: []string{"consumer lag", "dead letters"}, weight: 5,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "queue backlog above "...)
			b = strconv.AppendInt(b, int64(1000*(1+r.IntN(50))), 10)
			b = append(b, " messages in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "oldest message "...)
			b = strconv.AppendInt(b, int64(1+r.IntN(90)), 10)
			return append(b, " minutes old"...)
		}},
	{category: "Deployment", name: "Failed deployment", slug: "deployment", items: []string{"rollout", "canary"}, weight: 4,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "deployment "...)
			b = strconv.AppendUint(b, v>>24&0xffffffff, 16)
			b = append(b, " failed in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "rollout stopped at "...)
			b = appendPct(b, r, 5, 95)
			return append(b, "% of hosts"...)
		}},
	{category: "Security", name: "Certificate", slug: "certificate", items: []string{"TLS certificate"}, weight: 2,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "TLS certificate expires in "...)
			b = strconv.AppendInt(b, int64(1+r.IntN(14)), 10)
			b = append(b, " days in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			return append(b, "certificate renewal did not run"...)
		}},
	{category: "Security", name: "Auth failures", slug: "auth-failures", items: []string{"tokens", "logins"}, weight: 3,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "authentication failures above threshold in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = strconv.AppendInt(b, int64(100+r.IntN(9000)), 10)
			return append(b, " rejected tokens a minute"...)
		}},
	{category: "Network", name: "Packet loss", slug: "packet-loss", items: []string{"link", "VPC peering"}, weight: 4, outage: true,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "packet loss above "...)
			b = appendPct(b, r, 1, 30)
			b = append(b, "% in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = append(b, "loss "...)
			b = appendPct(b, r, 1, 30)
			return append(b, "% between availability zones"...)
		}},
	{category: "Network", name: "DNS", slug: "dns", items: []string{"resolution"}, weight: 2,
		title: func(b []byte, region, host string, v uint64, r *rand.Rand) []byte {
			b = append(b, "DNS resolution failures in "...)
			return append(b, region...)
		},
		detail: func(b []byte, r *rand.Rand) []byte {
			b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
			return append(b, "% of lookups time out"...)
		}},
}

// severityWeights are the shares of severities 1 to 5: sev1 is rare.
var (
	severityWeights       = []float64{0.5, 7, 35, 37, 20.5}
	outageSeverityWeights = []float64{8, 40, 40, 10, 2}
)
