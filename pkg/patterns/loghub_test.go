package patterns

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The LogHub evaluation: grouping accuracy on the 16 data sets of 2,000 log lines that
// Zhu et al. ("Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019) label
// with their templates. It runs when LOGHUB_DIR names a copy of the logpai/loghub
// repository (or of logparser's data/loghub_2k), which holds DATASET/DATASET_2k.log_structured.csv;
// the data is not part of this repository (see docs/patterns-and-localize.md for the download).
//
//	LOGHUB_DIR=/path/to/loghub go test ./pkg/patterns -run LogHub -v
//
// Each data set is mined from its Content column (the message after the log header, as
// the papers do), in file order, with the options below.

// drainGA is Drain's grouping accuracy on each data set as published by Zhu et al.
// (Table III of the paper; the same figures as logparser's Drain benchmark).
var drainGA = map[string]float64{
	"HDFS": 0.9975, "Hadoop": 0.9475, "Spark": 0.92, "Zookeeper": 0.9665, "BGL": 0.9625,
	"HPC": 0.887, "Thunderbird": 0.955, "Windows": 0.997, "Linux": 0.69, "Android": 0.911,
	"HealthApp": 0.78, "Apache": 1, "Proxifier": 0.5265, "OpenSSH": 0.7875,
	"OpenStack": 0.7325, "Mac": 0.7865,
}

// datasets lists the data sets in the paper's order.
var datasets = []string{"HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird",
	"Windows", "Linux", "Android", "HealthApp", "Apache", "Proxifier", "OpenSSH", "OpenStack", "Mac"}

// logHubOptions are the options per data set: the preprocessing the papers allow (regular
// expressions for the variable parts of each log format) and the tree's parameters.
func logHubOptions(name string) Options {
	res := func(exprs ...string) []*regexp.Regexp {
		out := make([]*regexp.Regexp, len(exprs))
		for i, e := range exprs {
			out[i] = regexp.MustCompile(e)
		}
		return out
	}
	o := Options{Prefix: 1}
	switch name {
	case "HDFS", "Zookeeper", "BGL", "Apache":
		o.Threshold = 0.3
	case "Hadoop":
		o.Threshold, o.Prefix, o.ParamsDiffer = 0.6, 2, true
	case "Spark":
		o.Threshold = 0.3
		o.Masks = res(`\d+(\.\d+)? [KMGT]?B\b`)
	case "HPC":
		o.Threshold, o.ParamsDiffer = 0.9, true
	case "Thunderbird":
		o.Threshold, o.WordThreshold, o.ParamsDiffer = 0.6, 0.7, true
	case "Windows":
		o.Threshold, o.WordThreshold, o.ParamsDiffer = 0.3, 0.7, true
	case "Linux":
		o.Threshold, o.WordThreshold = 0.8, 0.5
	case "Android":
		o.Threshold = 0.9
	case "HealthApp":
		o.Threshold, o.Prefix, o.KeepRuns, o.ParamsDiffer = 0.3, 3, true, true
	case "Proxifier":
		o.Threshold = 0.3
		o.Masks = res(`<\d+ sec`, `\d+ bytes(?: \([^)]*\))?`)
	case "OpenSSH":
		o.Threshold, o.WordThreshold, o.Prefix = 0.3, 0.7, 2
	case "OpenStack":
		o.Threshold, o.NoQuotes = 0.6, true
	case "Mac":
		o.Threshold, o.ParamsDiffer = 0.9, true
	}
	return o
}

// readLogHub reads a data set's messages and their true event ids.
func readLogHub(t testing.TB, dir, name string) (msgs, truth []string) {
	path := filepath.Join(dir, name, name+"_2k.log_structured.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	content, event := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "Content":
			content = i
		case "EventId":
			event = i
		}
	}
	if content < 0 || event < 0 {
		t.Fatalf("%s has no Content or EventId column", path)
	}
	for _, r := range rows[1:] {
		msgs = append(msgs, r[content])
		truth = append(truth, r[event])
	}
	return msgs, truth
}

// groupingAccuracy is the share of messages whose group is exactly their true group:
// a message counts when the set of messages given its pattern equals the set of messages
// with its true event (Zhu et al.'s "parsing accuracy", logparser's evaluator).
func groupingAccuracy(truth []string, got []uint32) float64 {
	trueSize := map[string]int{}
	for _, e := range truth {
		trueSize[e]++
	}
	type group struct {
		size   int
		events map[string]bool
		event  string
	}
	groups := map[uint32]*group{}
	for i, g := range got {
		gr := groups[g]
		if gr == nil {
			gr = &group{events: map[string]bool{}}
			groups[g] = gr
		}
		gr.size++
		gr.events[truth[i]] = true
		gr.event = truth[i]
	}
	correct := 0
	for _, gr := range groups {
		if len(gr.events) == 1 && trueSize[gr.event] == gr.size {
			correct += gr.size
		}
	}
	return float64(correct) / float64(len(truth))
}

func mineAll(opts Options, msgs []string) []uint32 {
	m := New(opts)
	got := make([]uint32, len(msgs))
	for i, s := range msgs {
		got[i] = m.Add(s)
	}
	return got
}

func TestLogHub(t *testing.T) {
	dir := os.Getenv("LOGHUB_DIR")
	if dir == "" {
		t.Skip("LOGHUB_DIR is not set: the LogHub evaluation needs the data (docs/patterns-and-localize.md)")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| data set | ours | ours, default options | Drain |\n| --- | ---: | ---: | ---: |\n")
	sum, sumDrain, sumDefault := 0.0, 0.0, 0.0
	for _, name := range datasets {
		msgs, truth := readLogHub(t, dir, name)
		ga := groupingAccuracy(truth, mineAll(logHubOptions(name), msgs))
		def := groupingAccuracy(truth, mineAll(Options{}, msgs))
		sum += ga
		sumDrain += drainGA[name]
		sumDefault += def
		fmt.Fprintf(&b, "| %s | %.4f | %.4f | %.4f |\n", name, ga, def, drainGA[name])
		if ga < drainGA[name] {
			t.Errorf("%s: grouping accuracy %.4f is below Drain's %.4f", name, ga, drainGA[name])
		}
	}
	avg := sum / float64(len(datasets))
	n := float64(len(datasets))
	fmt.Fprintf(&b, "| average | %.4f | %.4f | %.4f |\n", avg, sumDefault/n, sumDrain/n)
	t.Log("\n" + b.String())
	if avg < 0.90 {
		t.Errorf("average grouping accuracy %.4f is below 0.90", avg)
	}
}
