package cmd

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/internal/vmtest"
)

// run runs the pipeline's command line as main does and returns the exit
// code and both outputs.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	io, _, out, errOut := cli.Test()
	code := cli.Run(context.Background(), Program(), io, args)
	return code, out.String(), errOut.String()
}

// TestDeployFlags: what the caller got wrong is a usage error (exit 2)
// naming the problem, before anything connects.
func TestDeployFlags(t *testing.T) {
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(dir, "bad")
	if err := os.WriteFile(badKey, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	digest := "registry:5000/minitwit@sha256:" + strings.Repeat("a", 64)
	base := []string{"--env", "prod", "--host", "deploy@127.0.0.1:2222", "--known-hosts", kh, "--key", key}
	with := func(sub string, base []string, extra ...string) []string {
		return append(append([]string{sub}, base...), extra...)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no env", []string{"deploy", "--host", "deploy@h"}, "--env is required"},
		{"bad env", []string{"deploy", "--env", "Prod/1"}, `--env "Prod/1"`},
		{"no host", []string{"deploy", "--env", "prod"}, "--host is required"},
		{"host without user", []string{"deploy", "--env", "prod", "--host", "127.0.0.1"}, "want USER@HOST[:PORT]"},
		{"bad port", []string{"deploy", "--env", "prod", "--host", "deploy@h:99999"}, `bad port "99999"`},
		{"no known hosts", []string{"deploy", "--env", "prod", "--host", "deploy@h"}, "--known-hosts is required"},
		{"missing known hosts", []string{"deploy", "--env", "prod", "--host", "deploy@h", "--known-hosts", filepath.Join(dir, "nope")}, "no such file"},
		{"bad key", with("deploy", base, "--key", badKey), "deploy key " + badKey},
		{"no image", with("deploy", base), "--image is required"},
		{"tagged image", with("deploy", base, "--image", "registry:5000/minitwit:latest"), "not pinned by digest"},
		{"short digest", with("deploy", base, "--image", "minitwit@sha256:abc"), "not pinned by digest"},
		{"no commit", with("deploy", base, "--image", digest), "--commit is required"},
		{"no replicas", with("deploy", base, "--image", digest, "--commit", "c", "--replicas", "0"), "--replicas 0"},
		{"scale without replicas", with("scale", base), "--replicas 0: want 1 to 20"},
		{"extra argument", []string{"rollback", "now"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("pipeline %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), code, errOut, c.want)
			}
		})
	}
}

// TestDeployCommands drives pipeline deploy, scale and rollback through
// the real command line against a real VM.
func TestDeployCommands(t *testing.T) {
	e := vmtest.Start(t, "prod", vmtest.CommitA, vmtest.CommitB)
	target := []string{"--env", "prod", "--host", "deploy@" + e.VM.SSHAddr, "--known-hosts", e.KnownHostsFile, "--key", e.KeyFile}

	for _, img := range []string{"registry:5000/minitwit:latest", strings.SplitN(e.Refs[vmtest.CommitA], "@", 2)[0]} {
		code, _, errOut := run(t, append([]string{"deploy", "--image", img, "--commit", vmtest.CommitA}, target...)...)
		if code != cli.ExitUsage || !strings.Contains(errOut, "not pinned by digest") {
			t.Errorf("deploy --image %s: exit %d, %q; want 2, not pinned by digest", img, code, errOut)
		}
	}

	for _, c := range []string{vmtest.CommitA, vmtest.CommitB} {
		code, out, errOut := run(t, append([]string{"deploy", "--image", e.Refs[c], "--commit", c, "--soak", "1s"}, target...)...)
		if code != cli.ExitOK || !strings.Contains(out, "deploy prod: succeeded") {
			t.Fatalf("deploy %s: exit %d\nstdout %s\nstderr %s", c[:7], code, out, errOut)
		}
		if !strings.Contains(errOut, "nothing recorded") || !strings.Contains(errOut, "switch") {
			t.Errorf("deploy progress: %q", errOut)
		}
		e.WantServing(t, c)
	}

	code, out, errOut := run(t, append([]string{"scale", "--replicas", "2"}, target...)...)
	if code != cli.ExitOK || !strings.Contains(out, "scale prod: succeeded") || !strings.Contains(out, "2 replica(s)") {
		t.Fatalf("scale: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}

	code, out, errOut = run(t, append([]string{"rollback"}, target...)...)
	if code != cli.ExitOK || !strings.Contains(out, "rollback prod: succeeded") {
		t.Fatalf("rollback: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	e.WantServing(t, vmtest.CommitA)

	// Nothing further back: the job fails (exit 1) and says why.
	code, _, errOut = run(t, append([]string{"rollback"}, target...)...)
	if code != cli.ExitFailure || !strings.Contains(errOut, "no previous good release") {
		t.Errorf("second rollback: exit %d, %q; want 1, no previous good release", code, errOut)
	}
	e.WantServing(t, vmtest.CommitA)
}
