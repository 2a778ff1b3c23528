package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	post := func(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
		t.Helper()
		resp, err := c.PostForm(f.srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	t.Run("wrong token", func(t *testing.T) {
		tests := map[string]string{"garbage": "trk_nope", "empty": "", "another org's token": f.otherToken}
		for name, tok := range tests {
			t.Run(name, func(t *testing.T) {
				c := f.client(t, true)
				resp := post(t, c, "/ui/cyber-dojo/login", url.Values{"token": {tok}})
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", resp.StatusCode)
				}
				if len(resp.Cookies()) != 0 {
					t.Fatalf("a failed sign-in set cookies: %v", resp.Cookies())
				}
				body := f.mustGet(t, c, "/ui/cyber-dojo")
				assertLacks(t, body, ">secret<")
			})
		}
	})

	t.Run("right token sets a safe cookie", func(t *testing.T) {
		c := f.client(t, true)
		resp := post(t, c, "/ui/cyber-dojo/login", url.Values{"token": {f.token}, "next": {"/ui/cyber-dojo/flows/secret"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/cyber-dojo/flows/secret" {
			t.Fatalf("status %d to %q, want 303 to the flow", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v, want one", cookies)
		}
		ck := cookies[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/ui/cyber-dojo" || ck.MaxAge <= 0 {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui/cyber-dojo, a max age", ck)
		}
		assertContains(t, f.mustGet(t, c, "/ui/cyber-dojo/flows/secret"), "cyberdojo/secret:c0ffee0")
		// The cookie is scoped to its org: the other org's private flow
		// stays hidden.
		code, _ := f.get(t, c, "/ui/other-org/flows/elsewhere")
		if code != http.StatusNotFound {
			t.Errorf("other org's private flow = %d, want 404", code)
		}
		// Sign out clears it.
		resp = post(t, c, "/ui/cyber-dojo/logout", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out = %d, want 303", resp.StatusCode)
		}
		if code, _ := f.get(t, c, "/ui/cyber-dojo/flows/secret"); code != http.StatusNotFound {
			t.Errorf("after sign-out the private flow = %d, want 404", code)
		}
	})

	t.Run("redirect stays on the org's pages", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example/ui/cyber-dojo", "/ui/other-org", "/ui/cyber-dojo-evil/x", "/ui/cyber-dojo/\\evil"} {
			c := f.client(t, true)
			resp := post(t, c, "/ui/cyber-dojo/login", url.Values{"token": {f.token}, "next": {next}})
			if loc := resp.Header.Get("Location"); loc != "/ui/cyber-dojo" {
				t.Errorf("next=%q redirected to %q, want /ui/cyber-dojo", next, loc)
			}
		}
	})

	t.Run("bearer header works for scripts", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/ui/cyber-dojo/flows/secret", nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})

	t.Run("a stale cookie is cleared", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/ui/cyber-dojo", nil)
		req.AddCookie(&http.Cookie{Name: "tracker_token", Value: "trk_revoked"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200 (anonymous view)", resp.StatusCode)
		}
		var cleared bool
		for _, c := range resp.Cookies() {
			cleared = cleared || (c.Name == "tracker_token" && c.MaxAge < 0)
		}
		if !cleared {
			t.Errorf("the invalid cookie was not cleared: %v", resp.Cookies())
		}
	})

	t.Run("oversized form", func(t *testing.T) {
		resp := post(t, f.client(t, false), "/ui/cyber-dojo/login", url.Values{"token": {strings.Repeat("x", 10000)}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
}

// TestNoExternalResources crawls every page of the fixture and checks that
// nothing is loaded from elsewhere: no src attributes, only the local
// stylesheet, no CSS imports or remote url(); the only absolute URLs are
// the commit and build links that came in as data.
func TestNoExternalResources(t *testing.T) {
	f := newFixture(t)
	c := f.signIn(t, f.token)
	pages := []string{
		"/", "/ui/cyber-dojo", "/ui/cyber-dojo/login", "/ui/cyber-dojo/flows/runner", "/ui/cyber-dojo/flows/secret",
		"/ui/cyber-dojo/flows/runner/artifacts/" + fpNew, "/ui/cyber-dojo/environments/aws-prod",
		"/ui/cyber-dojo/environments/aws-prod/snapshots/2", "/ui/cyber-dojo/diff?a=aws-prod%231&b=aws-prod%232",
		"/ui/cyber-dojo/flows/nope",
	}
	absolute := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+`)
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			_, body := f.get(t, c, p)
			// style attributes would be blocked by the page's CSP.
			if strings.Contains(body, " src=") || strings.Contains(body, "@import") || strings.Contains(body, "<script") || strings.Contains(body, " style=") {
				t.Errorf("page loads something: %s", body)
			}
			links := regexp.MustCompile(`<link [^>]*>`).FindAllString(body, -1)
			if len(links) != 1 || !strings.Contains(links[0], `href="/static/style.css"`) {
				t.Errorf("stylesheets %v, want only /static/style.css", links)
			}
			for _, m := range regexp.MustCompile(`<a [^>]*href="(https?:[^"]*)"[^>]*>`).FindAllStringSubmatch(body, -1) {
				if !strings.HasPrefix(m[1], "https://github.com/cyber-dojo/") || !strings.Contains(m[0], `rel="noopener noreferrer"`) {
					t.Errorf("unexpected external link %s", m[0])
				}
			}
			// Outside anchors (and the SVG namespace, which is a name,
			// not a fetch) no absolute URL may appear.
			rest := regexp.MustCompile(`<a [^>]*>`).ReplaceAllString(body, "")
			rest = strings.ReplaceAll(rest, `xmlns="http://www.w3.org/2000/svg"`, "")
			rest = regexp.MustCompile(`>https://github.com/cyber-dojo/[^<]*<`).ReplaceAllString(rest, "><")
			if m := absolute.FindString(rest); m != "" {
				t.Errorf("page references %q", m)
			}
		})
	}
	_, css := f.get(t, nil, "/static/style.css")
	if strings.Contains(css, "url(") || strings.Contains(css, "@import") || strings.Contains(css, "http") {
		t.Errorf("stylesheet references something external")
	}
	if !strings.Contains(css, "ol.timeline") {
		t.Errorf("stylesheet not served")
	}
}
