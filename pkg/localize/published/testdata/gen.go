//go:build ignore

// gen writes the small sample in the Squeeze benchmark's format that the tests read: our
// own numbers (nothing of theirs is committed), two class folders of a data set "S".
//
//	cd pkg/localize/published/testdata && go run gen.go
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var dims = []struct {
	name string
	n    int
}{{"a", 4}, {"b", 6}, {"c", 5}, {"d", 4}}

// write makes one case: every leaf's forecast is a whole number drawn around a product of
// per-value weights, its real value the forecast with ±3% noise, and the leaves under
// each root cause at keep times their forecast.
func write(dir, ts string, seed uint64, causes []map[string]string, keep float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("real,predict,a,b,c,d\n")
	w := make([][]float64, len(dims))
	for d, dim := range dims {
		for v := range dim.n {
			w[d] = append(w[d], 1+float64(v%3))
		}
	}
	var walk func(d int, vals []string, weight float64)
	walk = func(d int, vals []string, weight float64) {
		if d == len(dims) {
			pred := float64(int(weight*20*(0.8+0.4*r.Float64()) + 0.5))
			real := pred * (1 + 0.06*(r.Float64()-0.5))
			for _, c := range causes {
				in := true
				for k, v := range c {
					in = in && vals[strings.Index("abcd", k)] == v
				}
				if in {
					real = pred * keep * (1 + 0.06*(r.Float64()-0.5))
				}
			}
			fmt.Fprintf(&b, "%.6f,%.1f,%s\n", real, pred, strings.Join(vals, ","))
			return
		}
		for v := range dims[d].n {
			walk(d+1, append(vals, fmt.Sprintf("%s%d", dims[d].name, v+1)), weight*w[d][v])
		}
	}
	walk(0, nil, 1)
	must(os.WriteFile(filepath.Join(dir, ts+".csv"), []byte(b.String()), 0o644))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	one := filepath.Join("S", "B_cuboid_layer_2_n_ele_1")
	two := filepath.Join("S", "B_cuboid_layer_1_n_ele_2")
	must(os.MkdirAll(one, 0o755))
	must(os.MkdirAll(two, 0o755))
	write(one, "1000", 1, []map[string]string{{"a": "a2", "b": "b3"}}, 0.2)
	write(one, "2000", 2, []map[string]string{{"c": "c4", "d": "d1"}}, 0.4)
	must(os.WriteFile(filepath.Join(one, "injection_info.csv"), []byte(
		"set,timestamp\nb=b3&a=a2,1000\nd=d1&c=c4,2000\n"), 0o644))
	// The second class's label names a=a1 twice, as a few of theirs do.
	write(two, "3000", 3, []map[string]string{{"a": "a1"}, {"c": "c2"}}, 0)
	must(os.WriteFile(filepath.Join(two, "injection_info.csv"), []byte(
		"set,timestamp\na=a1;c=c2;a=a1,3000\n"), 0o644))
}
