package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func sum(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestDirKnownVectors(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string)
		excludes []string
		want     string
	}{
		{
			name: "kosli vector: file.extra alone",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "file.extra"), "this is known extra content")
			},
			want: "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e",
		},
		{
			name:  "empty directory is sha256 of the empty string",
			setup: func(t *testing.T, dir string) {},
			want:  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		},
		{
			name: "excluded file does not count",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "file.extra"), "this is known extra content")
				write(t, filepath.Join(dir, "build.log"), "noise")
			},
			excludes: []string{"*.log"},
			want:     "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e",
		},
		{
			name: "excluded directory drops its subtree",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "file.extra"), "this is known extra content")
				write(t, filepath.Join(dir, "tmp", "a", "b.txt"), "b")
			},
			excludes: []string{"tmp"},
			want:     "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e",
		},
		{
			name: "nested exclusion by relative path",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "file.extra"), "this is known extra content")
				write(t, filepath.Join(dir, "sub", "skip.txt"), "x")
			},
			excludes: []string{"sub/skip.txt"},
			// sub stays (a directory adds only its name's digest).
			want: sum(sum("file.extra") + sum("this is known extra content") + sum("sub")),
		},
		{
			name: "nested directories depth first in byte order",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "b", "z.txt"), "z")
				write(t, filepath.Join(dir, "b", "a.txt"), "a")
				write(t, filepath.Join(dir, "B.txt"), "upper")
				write(t, filepath.Join(dir, "c.txt"), "c")
			},
			// "B.txt" < "b" < "c.txt" byte-wise; b's entries sorted inside it.
			want: sum(sum("B.txt") + sum("upper") +
				sum("b") + sum("a.txt") + sum("a") + sum("z.txt") + sum("z") +
				sum("c.txt") + sum("c")),
		},
		{
			name: "symlink to a file hashes the file's content",
			setup: func(t *testing.T, dir string) {
				outside := filepath.Join(t.TempDir(), "target.txt")
				write(t, outside, "linked content")
				symlink(t, outside, filepath.Join(dir, "link"))
			},
			want: sum(sum("link") + sum("linked content")),
		},
		{
			name: "symlink to a directory hashes the target text, not followed",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "real", "f.txt"), "f")
				symlink(t, "real", filepath.Join(dir, "zlink"))
			},
			want: sum(sum("real") + sum("f.txt") + sum("f") + sum("zlink") + sum("real")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			got, err := Dir(dir, tt.excludes)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Dir = %s, want %s", got, tt.want)
			}
			// Path dispatches directories to Dir.
			viaPath, err := Path(dir, tt.excludes)
			if err != nil || viaPath != got {
				t.Errorf("Path = %s, %v; want %s", viaPath, err, got)
			}
		})
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "file.extra")
	write(t, p, "this is known extra content")
	got, err := Path(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := sum("this is known extra content"); got != want {
		t.Errorf("File = %s, want %s", got, want)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Path(filepath.Join(dir, "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: err = %v, want not exist", err)
	}
	if _, err := Dir(dir, []string{"[unterminated"}); !errors.Is(err, ErrBadPattern) {
		t.Errorf("bad glob: err = %v, want ErrBadPattern", err)
	}
	f := filepath.Join(dir, "f")
	write(t, f, "x")
	if _, err := Dir(f, nil); err == nil {
		t.Error("Dir of a file: want error")
	}
	broken := t.TempDir()
	symlink(t, filepath.Join(broken, "nowhere"), filepath.Join(broken, "dangling"))
	if _, err := Dir(broken, nil); err == nil {
		t.Error("broken link: want error")
	}
}

func TestRepoDigest(t *testing.T) {
	tests := []struct {
		name    string
		image   string
		digests []string
		want    string
		wantErr error
	}{
		{"single", "127.0.0.1:5000/app:v1", []string{"127.0.0.1:5000/app@sha256:abc"}, "abc", nil},
		{"own repo wins", "127.0.0.1:5000/app:v1", []string{"other/app@sha256:111", "127.0.0.1:5000/app@sha256:222"}, "222", nil},
		{"by digest reference", "reg/app@sha256:333", []string{"reg/app@sha256:333"}, "333", nil},
		{"no tag falls back to first", "app", []string{"x/y@sha256:444"}, "444", nil},
		{"never pushed", "app:local", nil, "", ErrNoRepoDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RepoDigest(tt.image, tt.digests)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
