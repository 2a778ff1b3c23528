package release

import (
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want Message
		bump Bump
	}{
		{"fix: handle empty names", Message{Type: "fix", Description: "handle empty names"}, BumpPatch},
		{"feat(app): sessions expire\n\nafter 7 days", Message{Type: "feat", Scope: "app", Description: "sessions expire"}, BumpMinor},
		{"feat(api)!: drop /v1", Message{Type: "feat", Scope: "api", Description: "drop /v1", Breaking: true}, BumpMajor},
		{"Fix: capital type", Message{Type: "fix", Description: "capital type"}, BumpPatch},
		{"refactor: move X\n\nBREAKING CHANGE: the config file moved\nto /etc/kit.yaml\n\nReviewed-by: Z",
			Message{Type: "refactor", Description: "move X", Breaking: true, BreakingNote: "the config file moved to /etc/kit.yaml"}, BumpMajor},
		{"chore: x\n\nBREAKING-CHANGE: dash form", Message{Type: "chore", Description: "x", Breaking: true, BreakingNote: "dash form"}, BumpMajor},
		{"docs: readme", Message{Type: "docs", Description: "readme"}, BumpNone},
		{"revert: feat: x\n\nThis reverts commit abc.", Message{Type: "revert", Description: "feat: x", Revert: true}, BumpNone},
		{`Revert "feat: x"`, Message{Type: "revert", Description: `Revert "feat: x"`, Revert: true}, BumpNone},
		{"fix:   spaced  \r\n", Message{Type: "fix", Description: "spaced"}, BumpPatch},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			got, err := ParseMessage(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ParseMessage = %+v, want %+v", got, tc.want)
			}
			if b := BumpOf(got); b != tc.bump {
				t.Errorf("BumpOf = %v, want %v", b, tc.bump)
			}
		})
	}
	for _, bad := range []string{"", "update stuff", "feat:no space", "feat(: x", "feat (x): y", ": x", "fix:"} {
		if m, err := ParseMessage(bad); err == nil {
			t.Errorf("ParseMessage(%q) = %+v, want an error", bad, m)
		}
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		last string
		bump Bump
		want string
	}{
		{"0.1.0", BumpPatch, "0.1.1"},
		{"0.1.3", BumpMinor, "0.2.0"},
		{"0.4.2", BumpMajor, "0.5.0"}, // before 1.0.0 a breaking change bumps the minor
		{"1.4.2", BumpMajor, "2.0.0"},
		{"1.4.2", BumpMinor, "1.5.0"},
		{"1.4.2", BumpNone, "1.4.2"},
	} {
		got := Next(semver.MustParse(tc.last), tc.bump)
		if got.String() != tc.want {
			t.Errorf("Next(%s, %v) = %s, want %s", tc.last, tc.bump, got, tc.want)
		}
	}
}

func TestReleaseTags(t *testing.T) {
	tags, err := ReleaseTags([]string{"v0.9.0", "latest", "v0.10.0", "v0.2.1", "deploy-5", "vendor"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 3 || tags[0].Name != "v0.10.0" || tags[2].Name != "v0.2.1" {
		t.Errorf("ReleaseTags = %+v, want v0.10.0, v0.9.0, v0.2.1", tags)
	}
	for _, bad := range []string{"v1.2", "v1.2.3-rc1", "v01.2.3", "v1.2.3.4"} {
		if _, err := ReleaseTags([]string{"v0.1.0", bad}); err == nil {
			t.Errorf("ReleaseTags accepted %q", bad)
		}
	}
}
