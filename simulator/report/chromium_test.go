package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/chart/charttest"
)

// TestHTMLInChromium opens the report of a realistic run in headless
// Chromium, as a file from disk the way people open it, and checks that
// each of its four charts is laid out full width with its shapes visible.
// The screenshot goes to $CHART_SCREENSHOTS (or a temporary directory).
func TestHTMLInChromium(t *testing.T) {
	r := NewRecorder(Options{Target: "http://127.0.0.1:5001", Start: t0})
	syntheticRun(r, 25_922, 70*time.Second, 1)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	charts := charttest.Shoot(t, "file://"+page, charttest.Dir(t), "simulator-report", 1200)
	charttest.Check(t, charts, 900, 20, "Latency over time", "Errors over time", "Requests over time", "Latency by percentile")
	for i, id := range []string{"latency-chart", "errors-chart", "throughput-chart", "percentiles-chart"} {
		if charts[i].ID != id {
			t.Errorf("chart %d has id %q, want %q", i, charts[i].ID, id)
		}
	}
}
