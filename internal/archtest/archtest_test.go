package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/repo"
)

// TestModuleKeepsTheRules lists every package of the module with `go list`
// and checks its imports against Rules.
func TestModuleKeepsTheRules(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, Package{Path: p.ImportPath, Imports: p.Imports})
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, v := range Check(Rules, pkgs) {
		t.Error(v)
	}
}

// TestCheckFindsViolations feeds the checker deliberate violations of each
// rule, and the allowed imports beside them.
func TestCheckFindsViolations(t *testing.T) {
	m := func(p string) string { return Module + "/" + p }
	pkgs := []Package{
		{m("app/http"), []string{"net/http", m("app/minitwit"), m("simulator/replay")}},              // app → simulator
		{m("simulator/replay"), []string{m("simulator/report"), m("app/server")}},                    // simulator → app
		{m("tracker/http"), []string{m("tracker/model"), m("simulator/report")}},                     // tracker → simulator
		{m("tracker/web"), []string{m("internal/chart"), m("internal/simreport")}},                   // allowed
		{m("pipeline/deploy"), []string{m("tracker/client"), m("tracker/api"), m("tracker/sqlite")}}, // only sqlite is wrong
		{m("internal/chart"), []string{m("tracker/web")}},                                            // internal → program
		{m("app/minitwit"), []string{"errors", m("internal/buildinfo")}},                             // domain → anything
		{m("tracker/model"), []string{"time"}},                                                       // allowed
		{m("pipeline/internal/cmd"), []string{m("internal/cli"), m("pipeline/deploy")}},              // allowed
	}
	var got []string
	for _, v := range Check(Rules, pkgs) {
		got = append(got, rel(v.Package)+" -> "+rel(v.Import))
	}
	want := []string{
		"app/http -> simulator/replay",
		"app/minitwit -> internal/buildinfo",
		"internal/chart -> tracker/web",
		"pipeline/deploy -> tracker/sqlite",
		"simulator/replay -> app/server",
		"tracker/http -> simulator/report",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
