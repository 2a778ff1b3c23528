package fleet_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// browse loads the overview and the slow group's page in headless
// Chromium, checks that the charts show the injected faults, and saves
// full-page screenshots into $FLEET_SCREENSHOTS (or the test's temp dir).
func browse(t *testing.T, base string) {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	dir := os.Getenv("FLEET_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	eval := func(js string) int {
		ctx, c := context.WithTimeout(bctx, 10*time.Second)
		defer c()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return n
	}
	text := func() string {
		ctx, c := context.WithTimeout(bctx, 10*time.Second)
		defer c()
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		return s
	}
	page := func(path, shot string) string {
		ctx, c := context.WithTimeout(bctx, 20*time.Second)
		defer c()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`svg.chart`))); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", path, err)
		}
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Fatalf("screenshot %s is not a PNG: %v", path, err)
		}
		p := filepath.Join(dir, shot)
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of %s: %s", path, p)
		return text()
	}

	txt := page("/", "fleet-overview.png")
	for _, want := range []string{"Group h1", "Group slow", "Group dies", "not empty", "ok within budget"} {
		if !strings.Contains(txt, want) {
			t.Errorf("overview lacks %q:\n%s", want, txt)
		}
	}
	if rows := eval(`document.querySelectorAll("table tr").length`); rows != 9 {
		t.Errorf("overview table has %d rows, want a header and 8 groups", rows)
	}
	// The error chart has a stack for each faulty group, none for the
	// healthy ones.
	if n := eval(`document.querySelectorAll("svg.chart")[0].querySelectorAll(".bar").length`); n < 3 {
		t.Errorf("overview error chart has %d stacks, want one per faulty group' (slow, as200, dies)", n)
	}
	txt = page("/groups/slow", "fleet-group-slow.png")
	if !strings.Contains(txt, "ReadTimeout") {
		t.Errorf("the slow group's page lists no ReadTimeout line:\n%s", txt)
	}
	if n := eval(`document.querySelectorAll("svg.chart")[0].querySelectorAll(".bar").length`); n < 1 {
		t.Error("the slow group's error chart is empty")
	}
	if n := eval(`document.querySelectorAll("svg.chart")[1].querySelectorAll(".point").length`); n < 3 {
		t.Errorf("the slow group's latency chart has %d points, want p50, p99 and max of each minute", n)
	}
	if n := eval(`document.querySelectorAll("svg.chart").length`); n != 4 {
		t.Errorf("the group page has %d charts, want 4", n)
	}
}
