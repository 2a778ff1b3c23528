package cli_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
)

// demo is a small program with the shapes the kit's programs have: a
// group, a leaf with exact arguments, flags, env-backed defaults, a job
// that fails and one that waits for Ctrl-C.
func demo(got *string) cli.Program {
	return cli.Program{
		Name:      "demo",
		EnvPrefix: "DEMO_",
		Root: func(io *cli.IOStreams) *cobra.Command {
			root := &cobra.Command{Use: "demo"}
			var host string
			var n int
			root.PersistentFlags().StringVar(&host, "host", "http://localhost", "server URL")
			echo := &cobra.Command{
				Use:  "echo WORD",
				Args: cobra.ExactArgs(1),
				RunE: func(cmd *cobra.Command, args []string) error {
					*got = fmt.Sprintf("%s %s %d", host, args[0], n)
					fmt.Fprintln(io.Out, *got)
					return nil
				},
			}
			echo.Flags().IntVar(&n, "count", 1, "how many")
			fail := &cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error {
				return cli.Failed(errors.New("3 errors over the budget of 0"))
			}}
			bad := &cobra.Command{Use: "bad", RunE: func(*cobra.Command, []string) error {
				return cli.Usagef("--scenario: no such file")
			}}
			wait := &cobra.Command{Use: "wait", RunE: func(cmd *cobra.Command, _ []string) error {
				fmt.Fprintln(io.Out, "waiting")
				<-cmd.Context().Done()
				return cmd.Context().Err()
			}}
			group := &cobra.Command{Use: "get", Short: "get things"}
			group.AddCommand(&cobra.Command{Use: "thing", RunE: func(*cobra.Command, []string) error { return nil }})
			root.AddCommand(echo, fail, bad, wait, group)
			return root
		},
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		out     string
		errPart string
	}{
		{"ok", []string{"echo", "hi"}, nil, 0, "http://localhost hi 1\n", ""},
		{"flag from env", []string{"echo", "hi"}, map[string]string{"DEMO_HOST": "http://h:1", "DEMO_COUNT": "7"}, 0, "http://h:1 hi 7\n", ""},
		{"flag beats env", []string{"echo", "--count", "2", "hi"}, map[string]string{"DEMO_COUNT": "7"}, 0, "http://localhost hi 2\n", ""},
		{"bad env value", []string{"echo", "hi"}, map[string]string{"DEMO_COUNT": "seven"}, 2, "", `DEMO_COUNT="seven"`},
		{"unknown command", []string{"bogus"}, nil, 2, "", `unknown command "bogus" for "demo"`},
		{"unknown flag", []string{"echo", "--nope", "x"}, nil, 2, "", "unknown flag: --nope"},
		{"bad flag value", []string{"echo", "--count", "x", "hi"}, nil, 2, "", "invalid argument"},
		{"wrong arg count", []string{"echo"}, nil, 2, "", "accepts 1 arg"},
		{"group alone", []string{"get"}, nil, 2, "", "demo get needs a subcommand: thing"},
		{"unknown in group", []string{"get", "nope"}, nil, 2, "", `unknown command "nope" for "demo get"`},
		{"root alone", nil, nil, 2, "", "demo needs a subcommand"},
		{"job failed", []string{"fail"}, nil, 1, "", "demo: 3 errors over the budget of 0\n"},
		{"usage from run", []string{"bad"}, nil, 2, "", "Run 'demo bad --help' for usage."},
		{"help", []string{"echo", "--help"}, nil, 0, "(env DEMO_COUNT)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, _, out, errOut := cli.Test()
			io.Getenv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			var got string
			code := cli.Run(context.Background(), demo(&got), io, tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if tc.out != "" && !strings.Contains(out.String(), tc.out) {
				t.Errorf("stdout %q, want it to contain %q", out, tc.out)
			}
			if tc.errPart != "" && !strings.Contains(errOut.String(), tc.errPart) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tc.errPart)
			}
			if strings.Count(strings.TrimSpace(errOut.String()), "\n") > 1 {
				t.Errorf("stderr is more than a message and a hint: %q", errOut)
			}
		})
	}
}

func TestHelpNeverShowsEnvValue(t *testing.T) {
	io, _, out, _ := cli.Test()
	io.Getenv = func(k string) (string, bool) {
		if k == "DEMO_HOST" {
			return "http://secret-host", true
		}
		return "", false
	}
	var got string
	if code := cli.Run(context.Background(), demo(&got), io, []string{"echo", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String(), "secret-host") {
		t.Errorf("--help shows an environment value:\n%s", out)
	}
	if !strings.Contains(out.String(), "(env DEMO_HOST)") {
		t.Errorf("--help does not name DEMO_HOST:\n%s", out)
	}
}

func TestCanceledIsInterrupted(t *testing.T) {
	io, _, _, _ := cli.Test()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got string
	if code := cli.Run(ctx, demo(&got), io, []string{"wait"}); code != cli.ExitInterrupted {
		t.Errorf("exit %d, want %d", code, cli.ExitInterrupted)
	}
}

func TestProgramCode(t *testing.T) {
	p := cli.Program{Code: func(err error) (int, bool) {
		if strings.Contains(err.Error(), "401") {
			return cli.ExitAuth, true
		}
		return 0, false
	}}
	if got := p.ExitCode(errors.New("server said 401")); got != cli.ExitAuth {
		t.Errorf("mapped error: %d", got)
	}
	if got := p.ExitCode(errors.New("other")); got != cli.ExitFailure {
		t.Errorf("unmapped error: %d", got)
	}
	if got := p.ExitCode(fmt.Errorf("wrapped: %w", cli.Usagef("x"))); got != cli.ExitUsage {
		t.Errorf("wrapped usage error: %d", got)
	}
	if got := p.ExitCode(&cli.ExitError{Code: 7}); got != 7 {
		t.Errorf("exit error: %d", got)
	}
}

// TestMainSignals runs Main in a child process and stops it with a signal:
// Ctrl-C exits 130, SIGTERM lets the command end cleanly and exits as the
// command does (here: context canceled, so 130 too only for SIGINT).
func TestMainSignals(t *testing.T) {
	if os.Getenv("CLI_TEST_CHILD") == "1" {
		var got string
		os.Args = []string{"demo", "wait"}
		os.Exit(cli.Main(demo(&got)))
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 130}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainSignals$")
			cmd.Env = append(os.Environ(), "CLI_TEST_CHILD=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 8)
			if _, err := stdout.Read(buf); err != nil { // "waiting": the handler is installed
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("child did not stop after the signal")
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
		})
	}
}
