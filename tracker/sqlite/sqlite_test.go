package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/sqlite"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) model.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tracker.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenRefusesMemory(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), ":memory:"); err == nil {
		t.Fatal("opened :memory:")
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateOrg(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Authenticate(context.Background(), "acme", tok); err != nil {
		t.Fatal(err)
	}
}
