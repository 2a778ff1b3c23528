package gotest_test

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/pipeline/gotest"
)

// module writes a small module with one passing and (when fail) one
// failing test, and a function half covered.
func module(t *testing.T, fail bool) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"m.go": `package m

func Half(x int) int {
	if x > 0 {
		return 1
	}
	return 2
}
`,
		"m_test.go": `package m

import "testing"

func TestPos(t *testing.T) {
	if Half(1) != 1 {
		t.Fatal("Half(1)")
	}
}
`,
	}
	if fail {
		files["fail_test.go"] = `package m

import "testing"

func TestBroken(t *testing.T) { t.Fatal("broken on purpose") }
`
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type suites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestPassing(t *testing.T) {
	dir := module(t, false)
	var progress []string
	res, err := gotest.Run(context.Background(), gotest.Options{Root: dir, Out: filepath.Join(dir, "out"), Env: []string{"GOFLAGS=", "GOWORK=off"},
		Progress: func(p gotest.PackageResult) { progress = append(progress, p.Action+" "+p.Package) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed || res.Tests != 1 || res.Failures != 0 {
		t.Fatalf("result %+v", res)
	}
	// Half(1) runs the if branch only: 2 of its 3 statements.
	if res.CoveragePercent < 66 || res.CoveragePercent > 67 {
		t.Errorf("coverage %.2f%%, want 66.67%%", res.CoveragePercent)
	}
	raw, err := os.ReadFile(res.JUnit)
	if err != nil {
		t.Fatal(err)
	}
	var s suites
	if err := xml.Unmarshal(raw, &s); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if s.Tests != 1 || len(s.Suites) != 1 || s.Suites[0].Name != "example.com/m" || s.Suites[0].Cases[0].Name != "TestPos" {
		t.Errorf("junit %+v", s)
	}
	if strings.Join(progress, ",") != "pass example.com/m" {
		t.Errorf("progress %v", progress)
	}
}

func TestFailing(t *testing.T) {
	dir := module(t, true)
	res, err := gotest.Run(context.Background(), gotest.Options{Root: dir, Out: filepath.Join(dir, "out"), Env: []string{"GOFLAGS=", "GOWORK=off"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || res.Failures != 1 || res.Tests != 2 || len(res.FailedTests) != 1 || res.FailedTests[0] != "example.com/m.TestBroken" {
		t.Fatalf("result %+v", res)
	}
	raw, _ := os.ReadFile(res.JUnit)
	if !strings.Contains(string(raw), "broken on purpose") {
		t.Errorf("the failure's message is not in the JUnit report:\n%s", raw)
	}
}

func TestNoPackages(t *testing.T) {
	dir := module(t, false)
	res, err := gotest.Run(context.Background(), gotest.Options{Root: dir, Packages: []string{"./nothing/..."}, Out: t.TempDir(), Env: []string{"GOFLAGS=", "GOWORK=off"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || res.Failures == 0 || len(res.FailedTests) == 0 || !strings.Contains(res.FailedTests[0], "nothing") {
		t.Fatalf("a pattern naming no directory passed: %+v", res)
	}
}

func TestCoveragePercent(t *testing.T) {
	// The same block twice (two test binaries under -coverpkg): counted
	// once, covered if either covered it.
	prof := "mode: atomic\na.go:1.1,2.2 3 0\na.go:1.1,2.2 3 4\na.go:3.1,4.2 1 0\n"
	got, err := gotest.CoveragePercent(strings.NewReader(prof))
	if err != nil || got != 75 {
		t.Errorf("got %v, %v; want 75", got, err)
	}
	if _, err := gotest.CoveragePercent(strings.NewReader("mode: set\ngarbage\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("garbage: %v", err)
	}
}
