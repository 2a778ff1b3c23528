package steplist_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/steplist"
)

// clock advances one second per call.
func clock() func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func run(mode steplist.Mode) (string, *steplist.List) {
	var b bytes.Buffer
	l := steplist.New(&b, mode, []string{"build", "test", "image"}).WithClock(clock())
	w, end := l.Begin("build")
	fmt.Fprintln(w, "compiling minitwit")
	end("4 binaries", nil)
	w, end = l.Begin("test")
	fmt.Fprintln(w, "FAIL TestX")
	end("", errors.New("tests failed:\n2 of 10"))
	l.Skip("image", "an earlier step failed")
	return b.String(), l
}

func TestPlain(t *testing.T) {
	out, _ := run(steplist.Plain)
	want := "==> build\ncompiling minitwit\n<== build ok 1.0s  4 binaries\n==> test\nFAIL TestX\n<== test FAILED 1.0s  tests failed: 2 of 10\n--- image skipped: an earlier step failed\n"
	if out != want {
		t.Errorf("plain:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "::group::") {
		t.Error("plain output has escapes or Actions commands")
	}
}

func TestGitHub(t *testing.T) {
	out, l := run(steplist.GitHub)
	for _, want := range []string{"::group::build\ncompiling minitwit\n::endgroup::\n", "::group::test\nFAIL TestX\n::endgroup::\n::error title=pipeline test::tests failed: 2 of 10\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("github output lacks %q:\n%s", want, out)
		}
	}
	sum := l.Summary("pipeline run")
	for _, want := range []string{"| step | result | time | note |", "| build | ✅ ok | 1.0s | 4 binaries |", "| test | ❌ failed | 1.0s | tests failed: 2 of 10 |", "| image | ⏭ skipped |  | an earlier step failed |"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func TestTTY(t *testing.T) {
	out, _ := run(steplist.TTY)
	// The last drawing of the list, after the last cursor-up.
	last := out[strings.LastIndex(out, "\x1b[2K  ✓ build"):]
	for _, want := range []string{"✓ build       1.0s  4 binaries\n", "✗ test        1.0s  tests failed: 2 of 10\n", "- image             an earlier step failed\n"} {
		if !strings.Contains(last, want) {
			t.Errorf("final list lacks %q:\n%q", want, last)
		}
	}
	// A passing step's output is kept back; a failing one's is shown.
	if strings.Contains(out, "compiling minitwit") {
		t.Error("the passing step's output was shown")
	}
	if !strings.Contains(out, "--- output of test:\nFAIL TestX\n") {
		t.Errorf("the failed step's output is missing:\n%q", out)
	}
}

func TestModeFor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tt := range []struct {
		tty  bool
		env  func(string) string
		want steplist.Mode
	}{
		{true, env(), steplist.TTY},
		{false, env(), steplist.Plain},
		{true, env("CI", "1"), steplist.Plain},
		{true, env("GITHUB_ACTIONS", "true", "CI", "true"), steplist.GitHub},
		{false, env("GITHUB_ACTIONS", "true"), steplist.GitHub},
	} {
		if got := steplist.ModeFor(tt.tty, tt.env); got != tt.want {
			t.Errorf("ModeFor(%v, …) = %v, want %v", tt.tty, got, tt.want)
		}
	}
}
