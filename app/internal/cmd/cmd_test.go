package cmd

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/cli"
)

// parse runs a command built with a capturing runF through the kit's
// setup, so env-backed defaults apply as in the real program.
func parse(t *testing.T, build func(*Factory) *cobra.Command, env map[string]string, args ...string) int {
	t.Helper()
	io, _, _, _ := cli.Test()
	io.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	p := cli.Program{Name: "minitwit", EnvPrefix: EnvPrefix, Root: func(io *cli.IOStreams) *cobra.Command {
		return build(&Factory{IO: io})
	}}
	return cli.Run(context.Background(), p, io, args)
}

func TestServeFlags(t *testing.T) {
	var got server.Config
	build := func(f *Factory) *cobra.Command {
		return NewCmdServe(f, func(_ context.Context, o *ServeOptions) error { got = o.Config; return nil })
	}
	t.Run("defaults", func(t *testing.T) {
		if code := parse(t, build, nil); code != 0 {
			t.Fatalf("exit %d", code)
		}
		want := server.Config{Addr: ":5000", DB: "minitwit.db", SimUser: "simulator", SimPassword: "super_safe!"}
		if got != want {
			t.Fatalf("config %+v, want %+v", got, want)
		}
	})
	t.Run("flags and environment", func(t *testing.T) {
		env := map[string]string{
			"MINITWIT_DB": "postgres://x", "MINITWIT_TRUST_PROXY": "true", "MINITWIT_SESSION_SECRET": "s",
			"MINITWIT_LOGIN_LIMIT": "5", "MINITWIT_ADDR": ":1",
		}
		code := parse(t, build, env, "--addr", ":8080", "--metrics-addr", ":9100", "--session-ttl", "1h", "--bcrypt-cost", "10", "--api-addr", ":5001")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		want := server.Config{Addr: ":8080", APIAddr: ":5001", MetricsAddr: ":9100", DB: "postgres://x",
			SimUser: "simulator", SimPassword: "super_safe!", SessionSecret: "s", BcryptCost: 10,
			TrustProxy: true, SessionTTL: time.Hour, LoginLimit: 5}
		if got != want {
			t.Fatalf("config %+v, want %+v", got, want)
		}
	})
	t.Run("bad values are usage errors", func(t *testing.T) {
		for _, args := range [][]string{{"--login-limit", "many"}, {"--trust-proxy=maybe"}, {"extra"}} {
			if code := parse(t, build, nil, args...); code != 2 {
				t.Errorf("%q: exit %d, want 2", args, code)
			}
		}
		if code := parse(t, build, map[string]string{"MINITWIT_SESSION_TTL": "forever"}); code != 2 {
			t.Errorf("MINITWIT_SESSION_TTL=forever: exit %d, want 2", code)
		}
	})
}

func TestSeedFlags(t *testing.T) {
	var got SeedOptions
	build := func(f *Factory) *cobra.Command {
		return NewCmdSeed(f, func(_ context.Context, o *SeedOptions) error { got = *o; return nil })
	}
	if code := parse(t, build, map[string]string{"MINITWIT_SEED": "9"}, "--db", "x.db", "--users", "3", "--messages", "4", "--follows", "5"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if want := (storage.SeedSpec{Users: 3, Messages: 4, Follows: 5, Seed: 9}); got.DB != "x.db" || got.Spec != want {
		t.Fatalf("options %+v, want x.db %+v", got, want)
	}
}

func TestLegacyArgs(t *testing.T) {
	got := LegacyArgs([]string{"-addr", ":1", "-db=x.db", "seed", "-users", "3", "-x", "-h", "-version", "--api-addr", ":2", "--", "-addr"})
	want := []string{"--addr", ":1", "--db=x.db", "seed", "--users", "3", "-x", "-h", "--version", "--api-addr", ":2", "--", "-addr"}
	if !slices.Equal(got, want) {
		t.Fatalf("LegacyArgs = %q, want %q", got, want)
	}
}
