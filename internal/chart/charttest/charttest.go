// Package charttest looks at pages with charts in a real browser, for
// tests: it loads a page in headless Chromium (testenv.Chromium: required
// in CI, skipped elsewhere when missing), saves a full-page screenshot and
// reports how each chart was laid out, so a test can assert that every
// chart is there and drawn at a real size, not just present in the HTML.
package charttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// Chart is one svg.chart element as Chromium laid it out.
type Chart struct {
	ID, Label     string
	Width, Height float64 // rendered size in CSS pixels
	// Shapes counts the drawn elements inside (paths, rects, lines,
	// circles, texts) whose rendered box is not empty.
	Shapes int
}

// Dir is where screenshots go: $CHART_SCREENSHOTS when set (created if
// need be), else a temporary directory of the test.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CHART_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// measure lists the page's charts; it runs through DevTools, so the page's
// own CSP (which forbids scripts) does not apply to it.
const measure = `JSON.stringify([...document.querySelectorAll("svg.chart")].map(s => {
	const r = s.getBoundingClientRect();
	const shapes = [...s.querySelectorAll("path, rect, line, circle, polyline, text")].filter(e => {
		const b = e.getBoundingClientRect();
		return b.width > 0 || b.height > 0;
	}).length;
	return {ID: s.id, Label: s.getAttribute("aria-label") || "", Width: r.width, Height: r.height, Shapes: shapes};
}))`

// Shoot loads url in headless Chromium at the given window width, waits
// for it to load, saves a full-page PNG screenshot as dir/name.png and
// returns the charts on the page. It fails the test when the screenshot
// is not a real, non-blank image.
func Shoot(t testing.TB, url, dir, name string, width int64) []Chart {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		// Chromium refuses to run as root with its sandbox, and CI runs as root.
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(width), 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](measure))
	if err != nil {
		t.Fatalf("measure the charts of %s: %v", url, err)
	}
	var charts []Chart
	if err := json.Unmarshal([]byte(js), &charts); err != nil {
		t.Fatalf("charts of %s: %v", url, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", url, err)
	}
	if err := checkImage(shot); err != nil {
		t.Fatalf("screenshot of %s: %v", url, err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s", url, file)
	return charts
}

// checkImage fails for anything but a PNG of some size and more than a
// handful of colours (a blank page is one).
func checkImage(data []byte) error {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not a PNG: %w", err)
	}
	b := img.Bounds()
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 5 {
		for x := b.Min.X; x < b.Max.X; x += 5 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if b.Dx() < 100 || b.Dy() < 100 || len(colours) < 20 {
		return fmt.Errorf("%dx%d with %d colours looks blank", b.Dx(), b.Dy(), len(colours))
	}
	return nil
}

// Check fails the test unless charts holds exactly the wanted labels (the
// charts' accessible names, in page order), each drawn at least minWidth
// wide, of some height and with at least minShapes visible shapes.
func Check(t testing.TB, charts []Chart, minWidth float64, minShapes int, labels ...string) {
	t.Helper()
	if len(charts) != len(labels) {
		t.Fatalf("%d charts on the page (%+v), want %d: %q", len(charts), charts, len(labels), labels)
	}
	for i, c := range charts {
		if c.Label != labels[i] {
			t.Errorf("chart %d is %q, want %q", i, c.Label, labels[i])
		}
		if c.Width < minWidth || c.Height < 40 || c.Shapes < minShapes {
			t.Errorf("chart %q drawn %.0fx%.0f with %d visible shapes, want ≥ %.0f wide and ≥ %d shapes", c.Label, c.Width, c.Height, c.Shapes, minWidth, minShapes)
		}
	}
}
