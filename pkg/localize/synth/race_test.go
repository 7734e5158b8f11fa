//go:build race

package synth_test

// raceEnabled says the tests run under the race detector, which makes the search about
// ten times slower: the evaluation then runs fewer cases.
const raceEnabled = true
