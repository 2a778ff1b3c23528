package fleet_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/simulator/fleet"
)

func TestParseGroups(t *testing.T) {
	gs, err := fleet.ParseGroups([]byte(`
groups:
  - id: g01
    name: The Bobs
    web: http://bobs.example:5000/
    api: http://10.0.0.1:8081/api/v1/
    repos: [https://github.com/bobs/minitwit]
    extras: {team: "4"}
  - id: g02
    api: https://api.g02.example
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].API != "http://10.0.0.1:8081/api/v1" || gs[0].Web != "http://bobs.example:5000" ||
		gs[0].Repos[0] != "https://github.com/bobs/minitwit" || gs[0].Extras["team"] != "4" || gs[1].Name != "g02" {
		t.Errorf("parsed %+v", gs)
	}
	// A bare list works too.
	if gs, err := fleet.ParseGroups([]byte("- {id: a, api: 'http://127.0.0.1:1'}\n")); err != nil || len(gs) != 1 {
		t.Errorf("bare list: %v %v", gs, err)
	}
}

func TestParseGroupsBadInput(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"duplicate id", "groups:\n- {id: a, api: 'http://h:1'}\n- {id: a, api: 'http://h:2'}\n", `group 2 (a): duplicate id "a" (also group 1)`},
		{"invalid url", "groups:\n- {id: a, api: 'localhost:5000'}\n", `group 1 (a): api: "localhost:5000" must be an absolute http:// or https:// URL`},
		{"bad scheme", "groups:\n- {id: a, api: 'ftp://h/'}\n", `must be an absolute http:// or https:// URL`},
		{"query", "groups:\n- {id: a, api: 'http://h/?x=1'}\n", `must not carry a query`},
		{"bad web", "groups:\n- {id: a, api: 'http://h', web: 'http//h'}\n", `group 1 (a): web:`},
		{"no api", "groups:\n- {id: a}\n", `api: missing`},
		{"bad id", "groups:\n- {id: 'a b', api: 'http://h'}\n", `id "a b" must be`},
		{"unknown field", "groups:\n- {id: a, api: 'http://h', apii: 'x'}\n", `field apii not found`},
		{"not yaml", "groups: [\n", `not valid YAML`},
		{"empty", "groups: []\n", `no groups`},
		{"scalar", "hello\n", `expected a "groups:" list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fleet.ParseGroups([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// Every problem is named, not only the first.
	_, err := fleet.ParseGroups([]byte("groups:\n- {id: a, api: 'x'}\n- {id: a, api: 'http://h'}\n"))
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("want two problems on two lines, got %v", err)
	}
	if _, err := fleet.LoadGroups(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// TestFleetRunBadGroupsFile: the real command refuses a groups file with a
// duplicate id or an invalid URL with exit status 2 and a message naming
// each problem, before sending anything.
func TestFleetRunBadGroupsFile(t *testing.T) {
	_, sim := binaries(t)
	dir := t.TempDir()
	gfile := filepath.Join(dir, "groups.yaml")
	if err := os.WriteFile(gfile, []byte("groups:\n- {id: a, api: 'http://127.0.0.1:1'}\n- {id: a, api: 'localhost:5000'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sim, "fleet", "run", "--groups", gfile, "--db", filepath.Join(dir, "f.db"), "--listen", "", "-s", genScenario(t, 2, 4))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2:\n%s", err, out)
	}
	for _, want := range []string{`duplicate id "a"`, `"localhost:5000" must be an absolute http:// or https:// URL`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "f.db")); err == nil {
		t.Error("a refused groups file still created the store")
	}
}
