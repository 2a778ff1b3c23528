package httplabel

import (
	"strings"
	"testing"
)

func TestMethod(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"} {
		if got := Method(m); got != m {
			t.Errorf("Method(%q) = %q", m, got)
		}
	}
	for _, m := range []string{"get", "PROPFIND", "X1", "", strings.Repeat("A", 1000)} {
		if got := Method(m); got != Other {
			t.Errorf("Method(%q) = %q, want %q", m, got, Other)
		}
	}
}
