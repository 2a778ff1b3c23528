package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootHoldsThisModule(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "module github.com/minitwit-cd/kit\n"; string(b[:len(want)]) != want {
		t.Fatalf("go.mod at %s starts %q", root, b[:len(want)])
	}
}

func TestRootOutsideAModule(t *testing.T) {
	t.Chdir(t.TempDir())
	if root, err := Root(); err == nil {
		t.Fatalf("Root() = %q outside any module, want an error", root)
	}
	if _, err := CourseScenario(); err == nil {
		t.Fatal("CourseScenario() outside any module, want an error")
	}
}
