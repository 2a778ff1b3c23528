package http_test

import (
	"os"
	"sync"
	"testing"
)

// benchDir holds the benchmarks' seeded database; TestMain removes it.
var (
	benchDirOnce sync.Once
	benchDir     string
	benchDirErr  error
)

func tempDir() (string, error) {
	benchDirOnce.Do(func() { benchDir, benchDirErr = os.MkdirTemp("", "minitwit-http-bench-") })
	return benchDir, benchDirErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
