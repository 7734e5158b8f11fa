package query

// About says in a line what each query type answers, for the command line's help
// (`spacetime query -h`), which lists Types with it.
var About = map[Type]string{
	Counts:    "tickets per time bucket, optionally split by a field (time series; alerting)",
	Breakdown: "tickets per value of a field, the top N plus \"other\" (pie and bar charts)",
	Tickets:   "rows with chosen columns, sorted and limited; the rows holding the search are marked",
	Stats:     "the total, the tickets open now, the rate per minute and its usual rate before (stat panels)",
	Values:    "the distinct values of a field with their counts (variables, ad hoc filter values)",
	Logs:      "the newest tickets as log lines with every field (Grafana's logs panel)",
	Spike:     "the recent ticket rate against its trailing baseline, over time (alerting)",
	Movers:    "the values of a field that rose most above their baseline (\"what changed?\")",
}
