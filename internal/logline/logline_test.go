package logline_test

import (
	"testing"

	"github.com/minitwit-cd/kit/internal/logline"
)

func TestListenURLs(t *testing.T) {
	for _, tc := range []struct {
		logs string
		want map[string]string
	}{
		{`time=2026-11-22T02:55:47.185Z level=INFO msg="listening on http://127.0.0.1:43013" db=/tmp/t1.db`,
			map[string]string{"": "http://127.0.0.1:43013"}},
		{"time=x level=INFO msg=\"listening on http://127.0.0.1:1\" db=x\ntime=x level=INFO msg=\"simulator API listening on http://127.0.0.1:2\"\n",
			map[string]string{"": "http://127.0.0.1:1", "simulator API": "http://127.0.0.1:2"}},
		{`{"level":"INFO","msg":"listening on http://[::1]:8080"}`, map[string]string{"": "http://[::1]:8080"}},
		{"starting\nnothing yet", map[string]string{}},
	} {
		got := logline.ListenURLs(tc.logs)
		if len(got) != len(tc.want) {
			t.Errorf("ListenURLs(%q) = %v, want %v", tc.logs, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ListenURLs(%q)[%q] = %q, want %q", tc.logs, k, got[k], v)
			}
		}
	}
}
