package systemtest

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/minitwit-cd/kit/internal/testenv"
)

// browser drives one headless Chromium tab against a server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newBrowser starts headless Chromium for the test and stops it at the end.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		// Chromium refuses to run as root with its sandbox, and CI runs as root.
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return &browser{t: t, ctx: ctx, base: base}
}

// do runs steps with a deadline.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.text())
	}
}

// text returns the page's visible text.
func (b *browser) text() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// waitText polls the page until its text contains every one of want: forms
// and links navigate asynchronously, so the new page is awaited, not slept for.
func (b *browser) waitText(what string, want ...string) string {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var got string
	for {
		got = b.text()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: the page never showed %q; it shows:\n%s", what, missing, got)
		}
		<-tick.C
	}
}

// path returns the current URL's path.
func (b *browser) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	loc = strings.TrimPrefix(loc, b.base)
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	return loc
}

// TestBrowserJourney signs up, signs in, posts, visits another user,
// follows and unfollows them and signs out in headless Chromium against the
// real server, checking the texts and flashes of web-ui.md at every step,
// and saves a screenshot of the timeline.
func TestBrowserJourney(t *testing.T) {
	// Parallel tests start after the scenario replay, which runs alone
	// because it holds every answer to the simulator's 300 ms.
	t.Parallel()
	srv := startServer(t, filepath.Join(t.TempDir(), "minitwit.db"))
	// The other user and their message come in through the simulator API.
	api := newPooledClient(srv.URL, 10*time.Second)
	api.must(t, http.StatusNoContent, http.MethodPost, "/register", -1,
		map[string]string{"username": "Bob Ørsted", "email": "bob@example.com", "pwd": "bobpw"})
	api.must(t, http.StatusNoContent, http.MethodPost, userPath("/msgs/", "Bob Ørsted"), -1,
		map[string]string{"content": "Hello from <Bob>"})

	b := newBrowser(t, srv.URL)

	b.do("open the public timeline", chromedp.Navigate(srv.URL+"/"))
	b.waitText("signed out, / shows the public timeline", "Public Timeline", "Hello from <Bob>", "sign up", "sign in")

	b.do("sign up",
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "alice@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "alicepw"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password2"]`), "alicepw"),
		chromedp.Submit(chromedp.CSS(`input[name="username"]`)),
	)
	b.waitText("after sign up", "You were successfully registered and can login now")
	if p := b.path(); p != "/login" {
		t.Errorf("after sign up the browser is at %q, want /login", p)
	}

	b.do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "wrong"),
		chromedp.Submit(chromedp.CSS(`input[name="username"]`)),
	)
	b.waitText("after a wrong password", "Invalid password")

	b.do("sign in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "alicepw"),
		chromedp.Submit(chromedp.CSS(`input[name="username"]`)),
	)
	b.waitText("after sign in", "You were logged in", "My Timeline", "What's on your mind alice?", "sign out [alice]")

	b.do("post a message",
		chromedp.SendKeys(chromedp.CSS(`[name="text"]`), "My first <browser> message"),
		chromedp.Submit(chromedp.CSS(`[name="text"]`)),
	)
	b.waitText("after posting", "Your message was recorded", "My first <browser> message")

	b.do("visit Bob", chromedp.Navigate(srv.URL+"/"+strings.ReplaceAll("Bob Ørsted", " ", "%20")))
	b.waitText("Bob's page", "Bob Ørsted's Timeline", "You are not yet following this user.", "Hello from <Bob>")

	b.do("follow Bob", chromedp.Click(chromedp.CSS(`a[href$="/follow"]`)))
	b.waitText("after follow", `You are now following "Bob Ørsted"`, "You are currently following this user.")

	b.do("back to my timeline", chromedp.Navigate(srv.URL+"/"))
	timeline := b.waitText("my timeline with Bob followed", "My Timeline", "Hello from <Bob>", "My first <browser> message")
	if strings.Index(timeline, "My first <browser> message") > strings.Index(timeline, "Hello from <Bob>") {
		t.Errorf("timeline is not newest first:\n%s", timeline)
	}
	saveScreenshot(t, b)

	b.do("visit Bob again", chromedp.Navigate(srv.URL+"/"+strings.ReplaceAll("Bob Ørsted", " ", "%20")))
	b.waitText("Bob's page, followed", "You are currently following this user.")
	b.do("unfollow Bob", chromedp.Click(chromedp.CSS(`a[href$="/unfollow"]`)))
	b.waitText("after unfollow", `You are no longer following "Bob Ørsted"`, "You are not yet following this user.")

	b.do("my timeline without Bob", chromedp.Navigate(srv.URL+"/"))
	if got := b.waitText("my timeline", "My first <browser> message"); strings.Contains(got, "Hello from <Bob>") {
		t.Errorf("after unfollowing, the timeline still shows Bob's message:\n%s", got)
	}

	b.do("sign out", chromedp.Click(chromedp.CSS(`a[href="/logout"]`)))
	b.waitText("after sign out", "You were logged out", "Public Timeline", "sign in")
	if p := b.path(); p != "/public" {
		t.Errorf("after sign out the browser is at %q, want /public", p)
	}
}

// saveScreenshot captures the page as PNG into $MINITWIT_SCREENSHOTS (or a
// temp dir) and checks that it is a real, non-empty image.
func saveScreenshot(t *testing.T, b *browser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	r := img.Bounds()
	if r.Dx() < 100 || r.Dy() < 100 {
		t.Fatalf("screenshot is %dx%d", r.Dx(), r.Dy())
	}
	// A blank page would be one colour: require some variety.
	first := img.At(r.Min.X, r.Min.Y)
	varied := false
	for y := r.Min.Y; y < r.Max.Y && !varied; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			if img.At(x, y) != first {
				varied = true
				break
			}
		}
	}
	if !varied {
		t.Fatal("screenshot is a single colour")
	}
	dir := os.Getenv("MINITWIT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "minitwit-timeline.png")
	if err := os.WriteFile(p, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Fatalf("screenshot file %s: %v", p, err)
	}
	t.Logf("timeline screenshot: %s (%dx%d)", p, r.Dx(), r.Dy())
}
