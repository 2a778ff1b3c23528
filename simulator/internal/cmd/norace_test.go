//go:build !race

package cmd_test

// raceEnabled is true when the tests run under the race detector, which
// slows the in-process MiniTwit several times over.
const raceEnabled = false
