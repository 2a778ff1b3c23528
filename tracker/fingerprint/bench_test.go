package fingerprint

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDir fingerprints a tree of 1,000 files of 4 KiB in 10 folders
// (a static web site's size).
func BenchmarkDir(b *testing.B) {
	dir := b.TempDir()
	content := make([]byte, 4096)
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%04d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		content[0] = byte(i)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Dir(dir, []string{"*.map"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkFile fingerprints a 32 MiB file (a static binary).
func BenchmarkFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bin")
	if err := os.WriteFile(p, make([]byte, 32<<20), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(32 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := File(p); err != nil {
			b.Fatal(err)
		}
	}
}
