package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/client"
	"github.com/spf13/cobra"
)

// testFactory is a factory with buffers, a fixed clock and environment.
func testFactory(env map[string]string) *Factory {
	io, _, _, _ := Test()
	return &Factory{
		IO:       io,
		Now:      func() time.Time { return time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC) },
		Location: time.UTC,
		Getenv:   func(k string) string { return env[k] },
	}
}

// parse runs cmd with args; the command's runF captured the options.
func parse(t *testing.T, cmd *cobra.Command, args string) error {
	t.Helper()
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	return cmd.Execute()
}

func TestParseCreateFlow(t *testing.T) {
	f, root := testFactory(nil), &RootOptions{}
	var got *CreateFlowOptions
	cmd := NewCmdCreateFlow(f, root, func(o *CreateFlowOptions) error { got = o; return nil })
	if err := parse(t, cmd, "runner --description Runs --visibility public --template unit-tests,coverage -t simulator --dry-run"); err != nil {
		t.Fatal(err)
	}
	if got.Name != "runner" || got.Description != "Runs" || got.Visibility != "public" || !got.DryRun ||
		!reflect.DeepEqual(got.Template, []string{"unit-tests", "coverage", "simulator"}) {
		t.Errorf("options = %+v", got)
	}
}

func TestParseAttestArtifact(t *testing.T) {
	f, root := testFactory(nil), &RootOptions{}
	var got *AttestArtifactOptions
	cmd := NewCmdAttestArtifact(f, root, func(o *AttestArtifactOptions) error { got = o; return nil })
	if err := parse(t, cmd, "dist --artifact-type dir -x *.map,tmp --flow runner --commit 16d9990 -u http://c -b http://b --trail t1"); err != nil {
		t.Fatal(err)
	}
	want := AttestArtifactOptions{f: f, root: root, Artifact: "dist", ArtifactType: "dir", Exclude: []string{"*.map", "tmp"},
		Flow: "runner", Commit: "16d9990", CommitURL: "http://c", BuildURL: "http://b", Trail: "t1"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("options = %+v\nwant %+v", *got, want)
	}
}

func TestParseSnapshotCommands(t *testing.T) {
	f, root := testFactory(nil), &RootOptions{}
	tests := []struct {
		name string
		new  func(runF func(*SnapshotOptions) error) *cobra.Command
		args string
		want func(o *SnapshotOptions) bool
	}{
		{"docker", func(r func(*SnapshotOptions) error) *cobra.Command { return NewCmdSnapshotDocker(f, root, r) },
			"aws-prod --every 1m --label app=runner -l tier=web",
			func(o *SnapshotOptions) bool {
				return o.Kind == "docker" && o.Env == "aws-prod" && o.Every == time.Minute && reflect.DeepEqual(o.Labels, []string{"app=runner", "tier=web"})
			}},
		{"paths", func(r func(*SnapshotOptions) error) *cobra.Command { return NewCmdSnapshotPaths(f, root, r) },
			"vm --paths-file paths.yml",
			func(o *SnapshotOptions) bool { return o.Kind == "paths" && o.PathsFile == "paths.yml" && o.Every == 0 }},
		{"server", func(r func(*SnapshotOptions) error) *cobra.Command { return NewCmdSnapshotServer(f, root, r) },
			"vm --paths /opt/*/bin,/srv/site --paths /etc/app -x *.log --dry-run",
			func(o *SnapshotOptions) bool {
				return reflect.DeepEqual(o.Paths, []string{"/opt/*/bin", "/srv/site", "/etc/app"}) && o.DryRun && o.Exclude[0] == "*.log"
			}},
		{"json", func(r func(*SnapshotOptions) error) *cobra.Command { return NewCmdSnapshotJSON(f, root, r) },
			"aws-beta --file s.json --reporter K8S",
			func(o *SnapshotOptions) bool { return o.File == "s.json" && o.route() == "K8S" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *SnapshotOptions
			if err := parse(t, tt.new(func(o *SnapshotOptions) error { got = o; return nil }), tt.args); err != nil {
				t.Fatal(err)
			}
			if !tt.want(got) {
				t.Errorf("options = %+v", got)
			}
		})
	}
}

func TestParseGetFlowMetrics(t *testing.T) {
	f, root := testFactory(nil), &RootOptions{}
	var got *GetOptions
	cmd := NewCmdGetFlow(f, root, func(o *GetOptions) error { got = o; return nil })
	if err := parse(t, cmd, "runner --metrics --days 7 -o json"); err != nil {
		t.Fatal(err)
	}
	if got.Arg != "runner" || !got.Metrics || got.Days != 7 || !got.output.json() {
		t.Errorf("options = %+v", got)
	}
}

func TestGlobalFlagsFromEnvironment(t *testing.T) {
	f := testFactory(map[string]string{"TRACKER_HOST": "http://tracker:9000", "TRACKER_ORG": "acme", "TRACKER_API_TOKEN": "s3cr3t-value"})
	root := NewCmdRoot(f)
	host, _ := root.PersistentFlags().GetString("host")
	org, _ := root.PersistentFlags().GetString("org")
	if host != "http://tracker:9000" || org != "acme" {
		t.Errorf("from env: host=%s org=%s", host, org)
	}
	// The token comes from the environment when the flag is not given, and
	// --help never shows it.
	var help strings.Builder
	root.SetOut(&help)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(help.String(), "s3cr3t-value") {
		t.Errorf("--help shows the token from TRACKER_API_TOKEN:\n%s", help.String())
	}
	f.IO.ErrOut.(*bytes.Buffer).Reset()
	if code := Main(t.Context(), f, []string{"create", "flow", "x", "--dry-run"}); code != 0 {
		t.Fatalf("dry run: %d %s", code, f.IO.ErrOut)
	}
	if code := Main(t.Context(), f, []string{"create", "flow", "x", "--host", "http://127.0.0.1:1"}); code != ExitUnreachable {
		t.Errorf("with the env token a write is attempted: exit %d, want unreachable (%s)", code, f.IO.ErrOut)
	}
	root = NewCmdRoot(testFactory(nil))
	if host, _ := root.PersistentFlags().GetString("host"); host != DefaultHost {
		t.Errorf("default host = %s", host)
	}
	serve, _, _ := NewCmdRoot(testFactory(map[string]string{"TRACKER_ADDR": ":9999", "TRACKER_DB": "x.db"})).Find([]string{"serve"})
	if a, _ := serve.Flags().GetString("addr"); a != ":9999" {
		t.Errorf("serve --addr from TRACKER_ADDR = %s", a)
	}
	if d, _ := serve.Flags().GetString("db"); d != "x.db" {
		t.Errorf("serve --db from TRACKER_DB = %s", d)
	}
}

// TestUsageErrors runs the whole CLI on calls that are wrong before any
// request: each gets one line naming the problem and exit code 2.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args, want string
	}{
		{"get artifact runner", `malformed artifact expression "runner"`},
		{"get artifact runner:xyz", `invalid commit "xyz"`},
		{"get artifact runner@", `malformed artifact expression`},
		{"get snapshot aws-prod#x", `malformed snapshot expression "aws-prod#x"`},
		{"get snapshot aws-prod#0", `snapshot numbers start at 1`},
		{"diff snapshots a#1", `expects two snapshot expressions`},
		{"ls flows -o yaml", `invalid --output "yaml"`},
		{"ls flows", `--org is required`},
		{"get fish x", `unknown get "fish"`},
		{"create flow runner --org acme", `--api-token is required`},
		{"create flow runner --org acme --api-token t --visibility secret", `invalid --visibility "secret"`},
		{"create environment prod --org acme --api-token t", `--type is required`},
		{"report deployment --org a --api-token t --flow runner --environment p --fingerprint abc", `invalid fingerprint "abc"`},
		{"attest generic --org a --api-token t --flow runner --name x", `--trail is required`},
		{"snapshot paths env --org a --api-token t", `--paths-file is required`},
		{"snapshot docker bad/env", `invalid environment name "bad/env"`},
		{"fingerprint", `expects one PATH`},
		{"ls flows --no-such-flag", `unknown flag: --no-such-flag`},
		{"ls flows --org a --host localhost:8080", `--host: invalid host "localhost:8080"`},
		{"status --host", `flag needs an argument: --host`},
		{"snapshot docker env --every soon", `invalid argument "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f := testFactory(nil)
			code := Main(t.Context(), f, strings.Fields(tt.args))
			errOut := f.IO.ErrOut.(interface{ String() string }).String()
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
			first, _, _ := strings.Cut(errOut, "\n")
			if !strings.HasPrefix(first, "Error: ") || !strings.Contains(first, tt.want) {
				t.Errorf("stderr = %q, want one Error line containing %q", errOut, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"usage", usageErrorf("x"), ExitUsage},
		{"other", errors.New("boom"), ExitError},
		{"unauthorized", fmt.Errorf("get flow: %w", &client.Error{Status: 401, Message: "wrong token"}), ExitAuth},
		{"forbidden", &client.Error{Status: 403}, ExitAuth},
		{"not found", fmt.Errorf("x: %w", &client.Error{Status: 404}), ExitNotFound},
		{"bad request", &client.Error{Status: 400}, ExitUsage},
		{"server error", &client.Error{Status: 500}, ExitError},
		{"unreachable", fmt.Errorf("get: %w", client.ErrUnreachable), ExitUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}
