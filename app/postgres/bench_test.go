package postgres_test

import (
	"testing"

	"github.com/minitwit-cd/kit/app/internal/storetest"
	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// go test -run '^$' -bench . ./app/postgres/
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) minitwit.Store { return openBench(b) })
}

func BenchmarkSeed(b *testing.B) {
	spec := storage.SeedSpec{Users: 10_000, Messages: 1_000_000, Follows: 100_000, Seed: 1}
	b.Run("msgs=1M", func(b *testing.B) {
		storetest.BenchmarkSeed(b, spec, func(b *testing.B) minitwit.Store { return openBench(b) })
	})
}

func openBench(b *testing.B) minitwit.Store {
	b.Helper()
	return open(b, testenv.PostgresURL(b))
}
