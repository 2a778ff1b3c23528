package timefmt_test

import (
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/timefmt"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "one second ago"},
		{20 * time.Second, "20 seconds ago"},
		{50 * time.Second, "one minute ago"},
		{10 * time.Minute, "10 minutes ago"},
		{50 * time.Minute, "about an hour ago"},
		{5 * time.Hour, "5 hours ago"},
		{23 * time.Hour, "one day ago"},
		{15*24*time.Hour + 3*time.Hour, "15 days ago"},
		{40 * 24 * time.Hour, "one month ago"},
		{100 * 24 * time.Hour, "3 months ago"},
		{400 * 24 * time.Hour, "one year ago"},
		{3 * 365 * 24 * time.Hour, "3 years ago"},
		{-time.Minute, "in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := timefmt.Ago(now, now.Add(-tt.d)); got != tt.want {
				t.Errorf("Ago(now, now-%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
	if got := timefmt.Ago(now, time.Time{}); got != "unknown" {
		t.Errorf("Ago(zero) = %q, want unknown", got)
	}
}
