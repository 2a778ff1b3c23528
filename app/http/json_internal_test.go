package http

import (
	"encoding/json"
	"strings"
	"testing"
)

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "<a href='x'>&amp;</a>", "\x00\x01\x1f\x7f", "ünï ✓ \u2028\u2029", "\xff\xfe", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: not JSON: %v", s, b, err)
		}
		// encoding/json replaces invalid UTF-8 the same way we do.
		want, _ := json.Marshal(s)
		var wantS string
		json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("round trip of %q = %q, want %q", s, got, wantS)
		}
		if strings.ContainsAny(string(b), "<>&") {
			t.Fatalf("output %s holds unescaped HTML characters", b)
		}
	})
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "a\"b\\c", "line\nbreak\ttab\r", "<&>", "\u2028", "\x00", "é"} {
		want, _ := json.Marshal(s)
		if got := string(appendJSONString(nil, s)); got != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
