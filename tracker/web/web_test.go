package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/minitwit-cd/kit/tracker/web"
)

// t0 is when the story's new runner artifact is built; now is the fixed
// clock of every page, seven hours later.
var (
	t0  = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	now = t0.Add(7 * time.Hour)
)

func fp(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// The story's fingerprints: the old and new runner, a failed runner
// build, the saver, a private flow's artifact and one no flow reported.
var (
	fpOld     = fp("runner old")
	fpNew     = fp("runner new")
	fpBroken  = fp("runner broken")
	fpSaver   = fp("saver")
	fpSecret  = fp("secret")
	fpUnknown = fp("unknown")
)

const (
	org        = "cyber-dojo"
	commitOld  = "aaaaaaa1111111111111111111111111111111aa"
	commitNew  = "16d9990ad23a40eecaf087abac2a58a2d2a4b3f4"
	commitBad  = "bbbbbbb2222222222222222222222222222222bb"
	commitSave = "5a5a5a5000000000000000000000000000000000"
	commitSec  = "c0ffee0000000000000000000000000000000000"
)

// fixture is a seeded store behind the UI, with both orgs' tokens.
type fixture struct {
	st         model.Store
	srv        *httptest.Server
	token      string
	otherToken string
}

// newFixture seeds a real SQLite store with the tutorial's story through
// model.Store and serves the UI over it with a fixed clock.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, filepath.Join(t.TempDir(), "tracker.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	token, err := st.CreateOrg(ctx, org)
	must(err)
	other, err := st.CreateOrg(ctx, "other-org")
	must(err)

	for _, f := range []model.Flow{
		{Name: "runner", Description: "Runs the tests <fast>", Visibility: model.VisibilityPublic, Template: []string{"branch-coverage"}},
		{Name: "saver", Description: "Saves katas", Visibility: model.VisibilityPublic},
		{Name: "secret", Description: "Not for everyone", Visibility: model.VisibilityPrivate},
		{Name: "docs", Description: "Nothing built yet", Visibility: model.VisibilityPublic},
	} {
		_, _, err := st.PutFlow(ctx, org, f)
		must(err)
	}
	_, _, err = st.PutFlow(ctx, "other-org", model.Flow{Name: "elsewhere", Visibility: model.VisibilityPrivate})
	must(err)
	for _, e := range []string{"aws-beta", "aws-prod", "staging"} {
		// Public, so that anonymous viewers see them (public flows only).
		_, _, err := st.PutEnvironment(ctx, org, model.Environment{Name: e, Type: "ECS", Description: "AWS " + e, Visibility: model.VisibilityPublic, IncludeScaling: true})
		must(err)
	}
	put := func(flow, fingerprint, name, commit string, created, committed time.Time) {
		t.Helper()
		_, _, err := st.PutArtifact(ctx, org, model.Artifact{
			Flow: flow, Fingerprint: fingerprint, Name: name, GitCommit: commit,
			CommitURL:  "https://github.com/cyber-dojo/" + flow + "/commit/" + commit,
			BuildURL:   "https://github.com/cyber-dojo/" + flow + "/actions/runs/1",
			CommitTime: committed, CreatedAt: created,
		})
		must(err)
	}
	put("runner", fpOld, "cyberdojo/runner:aaaaaaa", commitOld, t0.Add(-10*24*time.Hour), time.Time{})
	put("runner", fpBroken, "cyberdojo/runner:bbbbbbb", commitBad, t0.Add(-time.Hour), time.Time{})
	put("runner", fpNew, "cyberdojo/runner:16d9990", commitNew, t0, t0.Add(-2*time.Hour))
	put("saver", fpSaver, "cyberdojo/saver:5a5a5a5", commitSave, t0.Add(-20*24*time.Hour), time.Time{})
	put("secret", fpSecret, "cyberdojo/secret:c0ffee0", commitSec, t0.Add(-20*24*time.Hour), time.Time{})

	evidence := func(fingerprint, name string, ok bool, at time.Time) {
		t.Helper()
		_, err := st.AddEvidence(ctx, org, model.Evidence{Flow: "runner", Fingerprint: fingerprint, Name: name, Type: model.EvidenceGeneric, Compliant: ok, CreatedAt: at})
		must(err)
	}
	evidence(fpNew, "branch-coverage", true, t0.Add(5*time.Minute))
	evidence(fpBroken, "branch-coverage", false, t0.Add(-50*time.Minute))

	deploy := func(flow, fingerprint, env string, at time.Time) model.Deployment {
		t.Helper()
		d, err := st.CreateDeployment(ctx, org, model.Deployment{Flow: flow, Fingerprint: fingerprint, Environment: env, CreatedAt: at})
		must(err)
		return d
	}
	deploy("runner", fpOld, "aws-prod", t0.Add(-9*24*time.Hour-time.Hour))
	broken := deploy("runner", fpBroken, "aws-prod", t0.Add(30*time.Minute))
	_, err = st.SetDeploymentStatus(ctx, org, "runner", broken.Number, model.DeploymentFailed, t0.Add(40*time.Minute))
	must(err)
	deploy("runner", fpNew, "aws-beta", t0.Add(20*time.Minute))
	deploy("runner", fpNew, "aws-prod", t0.Add(50*time.Minute))

	type run struct {
		fp   string
		name string
		n    int
		at   time.Time
	}
	report := func(env string, at time.Time, runs ...run) {
		t.Helper()
		var rs []model.RunningArtifact
		for _, r := range runs {
			ra := model.RunningArtifact{Fingerprint: r.fp, Name: r.name}
			for i := 0; i < r.n; i++ {
				ra.CreationTimestamps = append(ra.CreationTimestamps, r.at.Unix())
			}
			rs = append(rs, ra)
		}
		rep, err := st.ReportSnapshot(ctx, org, env, rs, at)
		must(err)
		if !rep.Created {
			t.Fatalf("report to %s at %s created no snapshot", env, at)
		}
	}
	oldR := run{fpOld, "cyberdojo/runner:aaaaaaa", 1, t0.Add(-9 * 24 * time.Hour)}
	saverR := run{fpSaver, "cyberdojo/saver:5a5a5a5", 2, t0.Add(-19 * 24 * time.Hour)}
	secretR := run{fpSecret, "cyberdojo/secret:c0ffee0", 1, t0.Add(-19 * 24 * time.Hour)}
	unknownR := run{fpUnknown, "mystery:latest", 1, t0.Add(-19 * 24 * time.Hour)}
	newR := func(n int) run { return run{fpNew, "cyberdojo/runner:16d9990", n, t0.Add(time.Hour - time.Minute)} }
	// aws-prod#1..#4: the old runner alone, the new one beside it with 3
	// replicas (blue-green), the old one gone, the new one scaled to 1.
	report("aws-prod", t0.Add(-9*24*time.Hour), oldR, saverR, secretR, unknownR)
	report("aws-prod", t0.Add(time.Hour), oldR, newR(3), saverR, secretR, unknownR)
	report("aws-prod", t0.Add(2*time.Hour), newR(3), saverR, secretR, unknownR)
	report("aws-prod", t0.Add(5*time.Hour), newR(1), saverR, secretR, unknownR)
	// aws-beta#1..#2: the new runner starts, then exits.
	report("aws-beta", t0.Add(30*time.Minute), run{fpNew, "cyberdojo/runner:16d9990", 1, t0.Add(29 * time.Minute)})
	report("aws-beta", t0.Add(3*time.Hour))

	h := web.New(st, web.Config{Now: func() time.Time { return now }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{st: st, srv: srv, token: token, otherToken: other}
}

// client is a browser-like client: no redirects followed, optional
// cookie jar.
func (f *fixture) client(t *testing.T, withJar bool) *http.Client {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if withJar {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Jar = jar
	}
	return c
}

// get fetches path and returns the status and body.
func (f *fixture) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	if c == nil {
		c = f.client(t, false)
	}
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// mustGet fetches a page that must render with 200.
func (f *fixture) mustGet(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	code, body := f.get(t, c, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200:\n%s", path, code, text(body))
	}
	return body
}

// signIn returns a client whose cookie jar holds org's token, through the
// sign-in form.
func (f *fixture) signIn(t *testing.T, token string) *http.Client {
	t.Helper()
	c := f.client(t, true)
	resp, err := c.PostForm(f.srv.URL+"/ui/"+org+"/login", url.Values{"token": {token}, "next": {"/ui/" + org}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in = %d, want 303", resp.StatusCode)
	}
	return c
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// text is a page's visible text with tags dropped and spaces collapsed,
// entities left as they are.
func text(html string) string {
	if i := strings.Index(html, "<main>"); i >= 0 {
		html = html[i:]
	}
	html = regexp.MustCompile(`(?s)<svg.*?</svg>`).ReplaceAllString(html, " [chart] ")
	return strings.TrimSpace(spaceRE.ReplaceAllString(tagRE.ReplaceAllString(html, " "), " "))
}

func assertContains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q; text:\n%s", w, text(body))
		}
	}
}

func assertLacks(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("page shows %q but must not; text:\n%s", w, text(body))
		}
	}
}

// section returns the HTML between the first match of start and the next
// match of end after it.
func section(t *testing.T, body, start, end string) string {
	t.Helper()
	i := strings.Index(body, start)
	if i < 0 {
		t.Fatalf("no %q in page:\n%s", start, text(body))
	}
	rest := body[i:]
	if j := strings.Index(rest[len(start):], end); j >= 0 {
		return rest[:len(start)+j]
	}
	return rest
}

func count(body, s string) int { return strings.Count(body, s) }
