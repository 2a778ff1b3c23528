package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/tracker/storage"
)

func TestOpenChoosesAdapter(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "t.db") }},
		{"sqlite URL", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "t.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresURL(t) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := storage.Open(ctx, tc.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			tok, err := s.CreateOrg(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Authenticate(ctx, "acme", tok); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenRejectsBadDSN(t *testing.T) {
	for _, dsn := range []string{"", ":memory:", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"} {
		if s, err := storage.Open(context.Background(), dsn); err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded", dsn)
		}
	}
}
