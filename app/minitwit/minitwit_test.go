package minitwit

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestValidateRegistrationOrder(t *testing.T) {
	tests := []struct {
		name, user, email, pwd, want string
	}{
		{"all missing", "", "", "", MsgNoUsername},
		{"no email", "a", "", "", MsgBadEmail},
		{"email without at", "a", "a.example.com", "x", MsgBadEmail},
		{"no password", "a", "a@b", "", MsgNoPassword},
		{"ok", "a", "a@b", "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRegistration(tt.user, tt.email, tt.pwd)
			if got := ErrorMessage(err); got != tt.want {
				t.Fatalf("message = %q, want %q", got, tt.want)
			}
			if tt.want != "" && ErrorCode(err) != EINVALID {
				t.Fatalf("code = %q, want %q", ErrorCode(err), EINVALID)
			}
		})
	}
}

func TestErrorCodeThroughWrapping(t *testing.T) {
	err := fmt.Errorf("op: %w", Errorf(ENOTFOUND, "user %q", "x"))
	if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != `user "x"` {
		t.Fatalf("code %q message %q", ErrorCode(err), ErrorMessage(err))
	}
	if ErrorCode(errors.New("disk")) != EINTERNAL || ErrorMessage(errors.New("disk")) != "Internal error." {
		t.Fatal("plain errors must be internal with a generic message")
	}
	if ErrorCode(nil) != "" {
		t.Fatal("nil has no code")
	}
}

func TestPageSize(t *testing.T) {
	if (Page{}).Size() != DefaultPageSize || (Page{Limit: 7}).Size() != 7 {
		t.Fatal("Page.Size")
	}
}

func TestPageBefore(t *testing.T) {
	for _, tc := range []struct {
		page Page
		want int64
	}{
		{Page{}, math.MaxInt64},
		{Page{BeforeID: -1}, math.MaxInt64},
		{Page{BeforeID: 42}, 42},
	} {
		if got := tc.page.Before(); got != tc.want {
			t.Errorf("%+v.Before() = %d, want %d", tc.page, got, tc.want)
		}
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name, s string
		max     int
		want    string
	}{
		{"ok", "Jürgen Ünal", 0, ""},
		{"invalid utf-8", "a\xffb", 0, "The f is not valid UTF-8"},
		{"nul", "a\x00b", 0, "The f must not contain NUL characters"},
		{"runes not bytes", "üüü", 3, ""},
		{"too long", "abcd", 3, "The f is too long (at most 3 characters)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckText("f", tt.s, tt.max)
			if got := ErrorMessage(err); got != tt.want {
				t.Fatalf("CheckText(%q, %d) = %q, want %q", tt.s, tt.max, got, tt.want)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Fatalf("code %q, want %q", ErrorCode(err), EINVALID)
			}
		})
	}
}
