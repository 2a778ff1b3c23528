package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignInRedirectIsCleaned: a next= that climbs out of the org with
// dot segments (plain or percent-encoded, as browsers resolve them) lands
// on the org's page, while ordinary next= targets keep working.
func TestSignInRedirectIsCleaned(t *testing.T) {
	f := newFixture(t)
	cases := map[string]string{
		"/ui/cyber-dojo/../../evil":              "/ui/cyber-dojo",
		"/ui/cyber-dojo/..":                      "/ui/cyber-dojo",
		"/ui/cyber-dojo/%2e%2e/%2e%2e/evil":      "/ui/cyber-dojo",
		"/ui/cyber-dojo/./../other-org":          "/ui/cyber-dojo",
		"/ui/cyber-dojo/flows/../../cyber-dojo2": "/ui/cyber-dojo",
		"/ui/cyber-dojo/flows/./runner":          "/ui/cyber-dojo/flows/runner",
		"/ui/cyber-dojo/flows/runner?page=2":     "/ui/cyber-dojo/flows/runner?page=2",
		"/ui/cyber-dojo?x=1":                     "/ui/cyber-dojo?x=1",
	}
	for next, want := range cases {
		t.Run(next, func(t *testing.T) {
			resp, err := f.client(t, true).PostForm(f.srv.URL+"/ui/cyber-dojo/login", url.Values{"token": {f.token}, "next": {next}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != want {
				t.Fatalf("next=%q: %d to %q, want 303 to %q", next, resp.StatusCode, loc, want)
			}
		})
	}
}

// TestSignInRefusesCrossOrigin: the sign-in form posted from another site
// (login CSRF) is refused without setting a cookie; the same site, and
// clients that send no Origin at all (curl, the tests' client), sign in.
func TestSignInRefusesCrossOrigin(t *testing.T) {
	f := newFixture(t)
	host := strings.TrimPrefix(f.srv.URL, "http://")
	cases := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"other origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"null origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"same origin", map[string]string{"Origin": "http://" + host}, http.StatusSeeOther},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, http.StatusSeeOther},
		{"no origin", nil, http.StatusSeeOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.srv.URL+"/ui/cyber-dojo/login", strings.NewReader(url.Values{"token": {f.token}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := f.client(t, false).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.want, text(string(body)))
			}
			if tc.want == http.StatusForbidden {
				if len(resp.Cookies()) != 0 {
					t.Fatalf("a refused sign-in set cookies: %v", resp.Cookies())
				}
				assertContains(t, string(body), "another site")
			}
		})
	}
}
