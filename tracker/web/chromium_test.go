package web_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/chart/charttest"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// TestChromiumRendersPages loads pages in real headless Chromium: the DOM
// it builds must hold the page's content (so the HTML parses as intended)
// and the screenshot must be a real, non-blank image. Set
// WEB_SCREENSHOT_DIR to keep the PNGs for a look.
func TestChromiumRendersPages(t *testing.T) {
	bin := testenv.Chromium(t)
	f := newFixture(t)
	dir := os.Getenv("WEB_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	run := func(t *testing.T, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
			"--disable-extensions", "--user-data-dir=" + t.TempDir()}
		cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
		}
		return out.Bytes()
	}

	t.Run("snapshot DOM", func(t *testing.T) {
		dom := string(run(t, "--dump-dom", f.srv.URL+"/ui/cyber-dojo/environments/aws-prod/snapshots/2"))
		for _, want := range []string{"aws-prod#2", "blue-green: 2 versions running", "cyberdojo/runner:aaaaaaa", "cyberdojo/runner:16d9990"} {
			if !strings.Contains(dom, want) {
				t.Errorf("Chromium's DOM lacks %q", want)
			}
		}
	})

	pages := map[string]string{
		"flow":        "/ui/cyber-dojo/flows/runner",
		"artifact":    "/ui/cyber-dojo/flows/runner/artifacts/" + fpNew,
		"environment": "/ui/cyber-dojo/environments/aws-prod",
		"snapshot":    "/ui/cyber-dojo/environments/aws-prod/snapshots/2",
		"diff":        "/ui/cyber-dojo/diff?a=aws-prod%232&b=aws-prod%234",
		"home":        "/",
		"org":         "/ui/cyber-dojo",
		"login":       "/ui/cyber-dojo/login",
		"not-found":   "/ui/cyber-dojo/environments/aws-prod/snapshots/9",
	}
	only := os.Getenv("WEB_SCREENSHOT_DIR") == ""
	for name, path := range pages {
		// Without a screenshot directory one page is enough to prove the
		// pipeline works; each Chromium start costs a second or two.
		if only && name != "environment" {
			continue
		}
		t.Run("screenshot "+name, func(t *testing.T) {
			file := filepath.Join(dir, name+".png")
			run(t, "--screenshot="+file, "--window-size=1280,1600", f.srv.URL+path)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			// A blank page is one colour; a rendered one has the dark
			// header, text and the chart's colours.
			colours := map[uint32]bool{}
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y += 7 {
				for x := b.Min.X; x < b.Max.X; x += 7 {
					r, g, bl, _ := img.At(x, y).RGBA()
					colours[r>>8<<16|g>>8<<8|bl>>8] = true
				}
			}
			if b.Dx() != 1280 || len(colours) < 20 {
				t.Fatalf("screenshot %dx%d with %d colours looks blank", b.Dx(), b.Dy(), len(colours))
			}
		})
	}
}

// TestChartsInChromium loads the pages with charts in headless Chromium
// and checks that each chart is laid out at a real size with visible
// shapes (the CSP forbids style attributes, so a chart styled by them
// would collapse or lose its colours). The screenshots go to
// $CHART_SCREENSHOTS (or a temporary directory).
func TestChartsInChromium(t *testing.T) {
	f := newFixture(t)
	dir := charttest.Dir(t)
	for _, tc := range []struct {
		name, path string
		labels     []string
	}{
		{"tracker-environment", "/ui/cyber-dojo/environments/aws-prod", []string{"Replicas per artifact in aws-prod"}},
		{"tracker-environment-time", "/ui/cyber-dojo/environments/aws-prod?scale=time", []string{"Replicas per artifact in aws-prod"}},
		{"tracker-flow", "/ui/cyber-dojo/flows/runner", []string{"Deployments per week", "Lead time"}},
		{"tracker-environment-empty", "/ui/cyber-dojo/environments/staging", []string{"Replicas per artifact in staging"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			charts := charttest.Shoot(t, f.srv.URL+tc.path, dir, tc.name, 1280)
			// The page's column is about 1050 px wide; an empty chart is
			// a box with its message.
			minShapes := 20
			if strings.HasSuffix(tc.name, "empty") {
				minShapes = 2
			}
			charttest.Check(t, charts, 900, minShapes, tc.labels...)
		})
	}
}
