package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKosliCommands runs the commands the tracker gained beside Kosli's
// (issue 7 §4) through the real CLI against a real server: begin trail
// with its context, an artifact under its template name, attestations
// bound to it by ARTIFACT.NAME (junit, snyk, custom with a schema and a
// jq rule), get trail, ls trails, search, get attestation, and the gate.
func TestKosliCommands(t *testing.T) {
	tr := fresh(t, "docker")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	commit := "16d9990ad7f0b0e4c3a1b2c3d4e5f60718293a4b"
	fpApp := fp("app")
	tr.must("create", "flow", "app", "--template", "unit,scan,sim")
	tr.must("begin", "trail", "t1", "--flow", "app", "--commit", commit, "--origin-url", "https://ci/1", "--user-data", write("u.json", `{"pr": 7}`))
	tr.must("attest", "artifact", "app.bin", "--flow", "app", "--fingerprint", fpApp, "--commit", commit, "--trail", "t1", "--template-name", "server")
	junit := write("junit.xml", `<testsuite name="s" tests="2"><testcase name="a"/><testcase name="b"/></testsuite>`)
	tr.must("attest", "junit", "--flow", "app", "--trail", "t1", "--name", "server.unit", "--results-file", junit)
	tr.must("attest", "snyk", "--flow", "app", "--trail", "t1", "--name", "server.scan", "--snyk-results", write("snyk.json", `{"schema_version": 1, "results": [{"high_count": 0, "medium_count": 0, "low_count": 0}]}`))
	tr.must("create", "attestation-type", "simulator-run", "--schema", write("schema.json", `{"type": "object", "required": ["errors"], "properties": {"errors": {"type": "integer"}}}`), "--jq", ".errors == 0")

	// The gate refuses while sim fails, lets it on once it passes.
	out := tr.must("attest", "custom", "--type", "simulator-run", "--flow", "app", "--trail", "t1", "--name", "server.sim", "--attestation-data", write("bad.json", `{"errors": 2}`))
	if !strings.Contains(out, "custom:simulator-run evidence sim was reported (non-compliant)") {
		t.Fatalf("attest custom printed %q", out)
	}
	if r := tr.run(nil, "assert", "artifact", fpApp, "--flow", "app"); r.code != 1 || !strings.HasPrefix(r.out, "NON-COMPLIANT\n") {
		t.Fatalf("gate with failing sim: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	tr.must("attest", "custom", "--type", "simulator-run", "--flow", "app", "--trail", "t1", "--name", "server.sim", "--attestation-data", write("good.json", `{"errors": 0}`))
	if out := tr.must("assert", "artifact", fpApp, "--flow", "app"); !strings.HasPrefix(out, "COMPLIANT\n") {
		t.Fatalf("gate after passing sim:\n%s", out)
	}

	out = tr.must("get", "trail", "t1", "--flow", "app")
	words := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"Compliance: COMPLIANT", "Git commit: " + commit, "Origin: https://ci/1", "Artifact server: COMPLIANT",
		"artifact 'app.bin' created for template name 'server'", "'junit' attestation reported for server.unit (compliant)", "'custom:simulator-run' attestation reported for server.sim (compliant)"} {
		if !strings.Contains(words, want) {
			t.Errorf("get trail lacks %q:\n%s", want, out)
		}
	}
	if out := tr.must("ls", "trails", "--flow", "app"); !strings.Contains(out, "t1") || !strings.Contains(out, "Showing page 1 of 1, total 1 items") {
		t.Errorf("ls trails:\n%s", out)
	}
	if out := tr.must("search", commit[:7]); !strings.Contains(out, "Search result resolved to commit "+commit) || !strings.Contains(out, fpApp) {
		t.Errorf("search:\n%s", out)
	}
	if out := tr.must("get", "attestation", "sim", "--flow", "app", "--fingerprint", fpApp); strings.Count(out, "Name:") != 2 || !strings.Contains(out, "Compliance:") {
		t.Errorf("get attestation:\n%s", out)
	}

	// Bad input: one line naming the problem, the usage or not-found code.
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"get", "trail", "nope", "--flow", "app"}, 4, "Trail with name 'nope' does not exist for Organization 'course' and Flow 'app'"},
		{[]string{"search", "fffff"}, 4, "No matches for 'fffff'."},
		{[]string{"create", "attestation-type", "broken", "--jq", ".errors ==== 0"}, 2, "does not parse"},
		{[]string{"attest", "custom", "--type", "simulator-run", "--flow", "app", "--trail", "t1", "--name", "server.sim", "--attestation-data", write("wrong.json", `{"errors": "many"}`)}, 2, "does not match the schema"},
		{[]string{"attest", "generic", "--flow", "app", "--trail", "t1", "--name", "a.b.c"}, 2, "use NAME or ARTIFACT.NAME"},
		{[]string{"assert", "artifact", fp("nobody"), "--flow", "app"}, 4, "does not exist in flow 'app'"},
	} {
		r := tr.run(nil, c.args...)
		if r.code != c.code || !strings.Contains(r.errOut, c.msg) {
			t.Errorf("tracker %s: exit %d %q, want %d %q", r.args, r.code, r.errOut, c.code, c.msg)
		}
	}
}
