package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/minitwit-cd/kit/app/storage"
)

// seededDB puts a database seeded per opts at db: copied from the cache
// when a matching one is there, generated (and cached) otherwise. The
// cache key includes the SQLite migrations, so a schema change reseeds.
func seededDB(ctx context.Context, u *ui, opts options, root, db string) error {
	spec := storage.SeedSpec{Users: opts.Users, Messages: opts.Messages, Follows: opts.Follows, Seed: opts.Seed}
	if opts.CacheDir == "" {
		return seed(ctx, u, spec, db)
	}
	schema, err := schemaHash(filepath.Join(root, "app", "sqlite", "migrations"))
	if err != nil {
		return err
	}
	cached := filepath.Join(opts.CacheDir, fmt.Sprintf("seed-u%d-m%d-f%d-s%d-%s.db",
		spec.Users, spec.Messages, spec.Follows, spec.Seed, schema))
	if _, err := os.Stat(cached); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
			return err
		}
		// Seed under a temporary name so an interrupted run leaves no
		// half-seeded database behind under the real one.
		tmp := cached + ".partial"
		removeDB(tmp)
		if err := seed(ctx, u, spec, tmp); err != nil {
			removeDB(tmp)
			return err
		}
		if err := copyDB(tmp, cached); err != nil {
			return err
		}
		removeDB(tmp)
	} else if err != nil {
		return err
	} else {
		u.logf("using the cached seeded database %s", cached)
	}
	return copyDB(cached, db)
}

// seed generates the data into a new SQLite database at path.
func seed(ctx context.Context, u *ui, spec storage.SeedSpec, path string) error {
	start := time.Now()
	store, err := storage.Open(ctx, path)
	if err != nil {
		return err
	}
	var b *bar
	err = storage.Seed(ctx, store, spec, func(done, total int) {
		if b == nil {
			b = u.bar(int64(total), fmt.Sprintf("seeding %d users, %d messages, %d follows", spec.Users, spec.Messages, spec.Follows))
		}
		b.set(int64(done))
	})
	if b != nil {
		b.finish()
	}
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	u.logf("seeded in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// schemaHash fingerprints the migration files (empty when there are none).
func schemaHash(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", d.Name(), len(b))
		h.Write(b)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// copyDB copies an SQLite database that no process has open, with its WAL
// if a file is left.
func copyDB(src, dst string) error {
	removeDB(dst)
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(src+suffix, dst+suffix); err != nil {
			if suffix != "" && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
	}
	return nil
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
