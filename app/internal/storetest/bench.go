package storetest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage"
)

// Sizes are the datasets the benchmarks compare: a toy database, a small
// one and the target one. Their users follow about as many others (9, 9
// and ~10 on average) and the benchmarks pick a user who follows 9 in
// each, so the home timeline merges 10 authors everywhere. In the toy one
// an author has only ~10 messages, fewer than a page, so its timelines
// read less; from msgs=10k on every author fills a page and the cost
// must not grow any more.
var Sizes = []struct {
	Name string
	Spec storage.SeedSpec
}{
	{"msgs=100", storage.SeedSpec{Users: 10, Messages: 100, Follows: 90, Seed: 1}},
	{"msgs=10k", storage.SeedSpec{Users: 10, Messages: 10_000, Follows: 90, Seed: 1}},
	{"msgs=1M", storage.SeedSpec{Users: 10_000, Messages: 1_000_000, Follows: 100_000, Seed: 1}},
}

// Benchmark seeds a fresh store from open with each of Sizes and times the
// read paths on it: the public timeline (first page of 100 as served, the
// same page with the query forced, and a page deep in the past), a user's
// timeline, the home timeline, Following, and two writes.
// Flat ns/op between the sizes is the point; rows/op says what one call
// returned.
func Benchmark(b *testing.B, open func(b *testing.B) minitwit.Store) {
	for _, size := range Sizes {
		b.Run(size.Name, func(b *testing.B) {
			ctx := context.Background()
			s := open(b)
			start := time.Now()
			if err := storage.Seed(ctx, s, size.Spec, nil); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %+v in %v", size.Spec, time.Since(start).Round(time.Millisecond))
			u := userFollowing(b, s, size.Spec.Users, 9)
			top, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 1})
			if err != nil || len(top) == 0 {
				b.Fatalf("public timeline: %v", err)
			}
			deep := top[0].ID / 2

			for _, q := range []struct {
				name string
				run  func() (int, error)
			}{
				{"Public/no=100", func() (int, error) {
					m, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 100})
					return len(m), err
				}},
				// BeforeID just above the newest: the same rows as the first
				// page, but past any first-page cache, so the query runs.
				{"Public/no=100/query", func() (int, error) {
					m, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 100, BeforeID: top[0].ID + 1})
					return len(m), err
				}},
				{"Public/no=100/deep", func() (int, error) {
					m, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 100, BeforeID: deep})
					return len(m), err
				}},
				{"User/no=30", func() (int, error) {
					m, err := s.UserTimeline(ctx, u.ID, minitwit.Page{Limit: 30})
					return len(m), err
				}},
				{"Home/no=30", func() (int, error) {
					m, err := s.HomeTimeline(ctx, u.ID, minitwit.Page{Limit: 30})
					return len(m), err
				}},
				{"Home/no=30/deep", func() (int, error) {
					m, err := s.HomeTimeline(ctx, u.ID, minitwit.Page{Limit: 30, BeforeID: deep})
					return len(m), err
				}},
				{"Following/no=100", func() (int, error) {
					f, err := s.Following(ctx, u.ID, 100)
					return len(f), err
				}},
				{"UserByName", func() (int, error) {
					_, err := s.UserByName(ctx, u.Username)
					return 1, err
				}},
				{"IsFollowing", func() (int, error) {
					_, err := s.IsFollowing(ctx, u.ID, top[0].AuthorID)
					return 1, err
				}},
				// Counting is linear in the table sizes; it serves a
				// metrics scrape, not requests.
				{"Stats", func() (int, error) {
					_, err := s.Stats(ctx)
					return 3, err
				}},
			} {
				b.Run(q.name, func(b *testing.B) {
					rows := 0
					cpu := startCPU()
					for b.Loop() {
						n, err := q.run()
						if err != nil {
							b.Fatal(err)
						}
						rows = n
					}
					cpu.report(b)
					b.ReportMetric(float64(rows), "rows/op")
				})
			}
			b.Run("Public/no=100/query/parallel", func(b *testing.B) {
				cpu := startCPU()
				defer cpu.report(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.PublicTimeline(ctx, minitwit.Page{Limit: 100, BeforeID: top[0].ID + 1}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("AddMessage", func(b *testing.B) {
				cpu := startCPU()
				defer cpu.report(b)
				for b.Loop() {
					if _, err := s.AddMessage(ctx, u.ID, "benchmark message", time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("SetLatest", func(b *testing.B) {
				cpu := startCPU()
				defer cpu.report(b)
				i := int64(0)
				for b.Loop() {
					i++
					if err := s.SetLatest(ctx, i); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// userFollowing returns a seeded user who follows exactly n others (or the
// closest to n there is), so the home timelines of both sizes merge the
// same number of authors.
func userFollowing(b *testing.B, s minitwit.Store, users, n int) minitwit.User {
	b.Helper()
	ctx := context.Background()
	var best minitwit.User
	bestDiff := -1
	for i := 0; i < min(users, 2000); i++ {
		u, err := s.UserByName(ctx, fmt.Sprint("user", i))
		if err != nil {
			b.Fatal(err)
		}
		f, err := s.Following(ctx, u.ID, 1000)
		if err != nil {
			b.Fatal(err)
		}
		d := len(f) - n
		if d < 0 {
			d = -d
		}
		if bestDiff < 0 || d < bestDiff {
			best, bestDiff = u, d
		}
		if d == 0 {
			break
		}
	}
	return best
}

// BenchmarkSeed times storage.Seed of spec into a fresh store from open
// per iteration and reports messages per second.
func BenchmarkSeed(b *testing.B, spec storage.SeedSpec, open func(b *testing.B) minitwit.Store) {
	ctx := context.Background()
	var total, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := open(b)
		b.StartTimer()
		start, startCPU := time.Now(), processCPU()
		if err := storage.Seed(ctx, s, spec, nil); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		cpu += processCPU() - startCPU
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(spec.Messages)*float64(b.N)/total.Seconds(), "msgs/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// cpuClock measures the CPU time this process spends (all threads, GC
// included; for PostgreSQL only the client side). Wall-clock ns/op on a
// machine shared with other work mostly measures the other work; CPU time
// per operation does not, and 1e9 / cpu-ns/op is the operations per second
// one core could sustain.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

func (c cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-time.Duration(c))/float64(b.N), "cpu-ns/op")
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
