package cmd

import (
	"testing"
	"time"
	_ "time/tzdata" // golden output uses Europe/Berlin wherever it runs

	"github.com/minitwit-cd/kit/internal/testenv"
)

// berlin is the zone the spec's example is in (CEST in summer).
func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// golden compares got with testdata/NAME.golden (testenv.Golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, name+".golden", got)
}
