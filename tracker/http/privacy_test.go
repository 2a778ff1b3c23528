package http_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/internal/storetest"
	"github.com/minitwit-cd/kit/tracker/sqlite"
	"github.com/minitwit-cd/kit/tracker/web"
)

// TestAnonymousReadersOneRule: for a reader without a token everything is
// private unless public — flows by their visibility, environments by
// theirs — on the API and the web alike, and a private thing is answered
// exactly like a missing one (404, the same message shape). Inside a
// public environment only the artifacts of public flows are shown.
func TestAnonymousReadersOneRule(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tracker.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tok, err := store.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(storetest.T0)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := trackerhttp.New(store, trackerhttp.Config{Logger: quiet, Now: clk.Now, UI: web.New(store, web.Config{Logger: quiet, Now: clk.Now})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, h: h, store: store, clk: clk, token: tok}
	e.seed() // runner public, secret private, aws-beta and aws-prod private
	e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "shop", "type": "ECS", "description": "the public shop", "visibility": "public"}, 201)
	e.attestArtifact("runner", "pub", "1111111111111111111111111111111111111111")
	e.attestArtifact("secret", "priv", "2222222222222222222222222222222222222222")
	e.report("shop", 201, replicas("pub", 1, 100), replicas("priv", 1, 100), replicas("unknown", 1, 100))
	e.report("shop", 201, replicas("pub", 2, 100), replicas("unknown", 1, 100))
	e.report("aws-beta", 201, replicas("pub", 1, 100))

	get := func(t *testing.T, path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	message := func(t *testing.T, body string) string {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil || len(m) != 1 {
			t.Fatalf("want a JSON object with one key, got %s", body)
		}
		return m["message"].(string)
	}

	t.Run("API: private is answered like missing", func(t *testing.T) {
		cases := []struct{ private, missing, msg string }{
			{"/api/v2/flows/acme/secret", "/api/v2/flows/acme/nope", "flow %s not found in org acme"},
			{"/api/v2/flows/acme/secret/metrics", "/api/v2/flows/acme/nope/metrics", "flow %s not found in org acme"},
			{"/api/v2/artifacts/acme/secret/fingerprint/" + storetest.FP("priv"), "/api/v2/artifacts/acme/nope/fingerprint/" + storetest.FP("priv"), "flow %s not found in org acme"},
			{"/api/v2/deployments/acme/secret", "/api/v2/deployments/acme/nope", "flow %s not found in org acme"},
			{"/api/v2/environments/acme/aws-beta", "/api/v2/environments/acme/nope", "Environment named '%s' does not exist for organization 'acme'"},
			{"/api/v2/environments/acme/aws-beta/events", "/api/v2/environments/acme/nope/events", "Environment named '%s' does not exist for organization 'acme'"},
			{"/api/v2/snapshots/acme/aws-beta", "/api/v2/snapshots/acme/nope", "Environment named '%s' does not exist for organization 'acme'"},
			{"/api/v2/snapshots/acme/aws-beta/1", "/api/v2/snapshots/acme/nope/1", "Environment named '%s' does not exist for organization 'acme'"},
			{"/api/v2/env-diff/acme?snappish1=aws-beta%231&snappish2=shop", "/api/v2/env-diff/acme?snappish1=nope%231&snappish2=shop", "Environment named '%s' does not exist for organization 'acme'"},
		}
		for _, tc := range cases {
			t.Run(tc.private, func(t *testing.T) {
				pc, pb := get(t, tc.private, "")
				mc, mb := get(t, tc.missing, "")
				if pc != 404 || mc != 404 {
					t.Fatalf("private %d %s, missing %d %s: want both 404", pc, pb, mc, mb)
				}
				name := func(p string) string {
					u, _ := url.Parse(p)
					parts := strings.Split(strings.TrimPrefix(u.Path, "/api/v2/"), "/")
					if parts[0] == "env-diff" {
						return strings.Split(u.Query().Get("snappish1"), "#")[0]
					}
					return parts[2]
				}
				if got, want := message(t, pb), strings.ReplaceAll(tc.msg, "%s", name(tc.private)); got != want {
					t.Errorf("private: message %q, want %q", got, want)
				}
				if got, want := message(t, mb), strings.ReplaceAll(tc.msg, "%s", name(tc.missing)); got != want {
					t.Errorf("missing: message %q, want %q", got, want)
				}
				// The org's members still read it.
				if c, b := get(t, tc.private, tok); c != 200 {
					t.Errorf("with the token: %d %s, want 200", c, b)
				}
			})
		}
	})

	t.Run("API: a public environment shows public flows only", func(t *testing.T) {
		c, b := get(t, "/api/v2/environments/acme", "")
		if c != 200 || !strings.Contains(b, `"name":"shop"`) || strings.Contains(b, "aws-beta") || strings.Contains(b, "aws-prod") {
			t.Fatalf("anonymous list = %d %s, want only shop", c, b)
		}
		if c, b := get(t, "/api/v2/environments/acme/shop", ""); c != 200 || !strings.Contains(b, `"visibility":"public"`) {
			t.Fatalf("anonymous public environment = %d %s", c, b)
		}
		for _, p := range []string{"/api/v2/snapshots/acme/shop/1", "/api/v2/environments/acme/shop/events", "/api/v2/env-diff/acme?snappish1=shop%231&snappish2=shop%232"} {
			c, b := get(t, p, "")
			if c != 200 || !strings.Contains(b, storetest.FP("pub")) || strings.Contains(b, storetest.FP("priv")) || strings.Contains(b, storetest.FP("unknown")) {
				t.Errorf("anonymous %s = %d, want the public flow's artifact only:\n%s", p, c, b)
			}
			c, b = get(t, p, tok)
			if c != 200 || !strings.Contains(b, storetest.FP("priv")) || !strings.Contains(b, storetest.FP("unknown")) {
				t.Errorf("%s with the token = %d, want every artifact:\n%s", p, c, b)
			}
		}
		if c, b := get(t, "/api/v2/snapshots/acme/shop", ""); c != 200 || !strings.Contains(b, `"index":2`) {
			t.Errorf("anonymous snapshot list = %d %s", c, b)
		}
	})

	t.Run("web: the same rule", func(t *testing.T) {
		cases := []struct{ private, missing string }{
			{"/ui/acme/environments/aws-beta", "/ui/acme/environments/nope"},
			{"/ui/acme/environments/aws-beta/snapshots/1", "/ui/acme/environments/nope/snapshots/1"},
			{"/ui/acme/diff?a=aws-beta%231&b=shop", "/ui/acme/diff?a=nope%231&b=shop"},
			{"/ui/acme/flows/secret", "/ui/acme/flows/nope"},
		}
		for _, tc := range cases {
			pc, pb := get(t, tc.private, "")
			mc, mb := get(t, tc.missing, "")
			norm := func(s string) string {
				s = strings.ReplaceAll(s, "aws-beta", "NAME")
				s = strings.ReplaceAll(s, "secret", "NAME")
				return strings.ReplaceAll(s, "nope", "NAME")
			}
			if pc != 404 || mc != 404 || norm(pb) != norm(mb) {
				t.Errorf("%s = %d, %s = %d: want both 404 with the same page:\n%s\n---\n%s", tc.private, pc, tc.missing, mc, pb, mb)
			}
			if c, _ := get(t, tc.private, tok); c != 200 {
				t.Errorf("%s with the token = %d, want 200", tc.private, c)
			}
		}
		_, org := get(t, "/ui/acme", "")
		if !strings.Contains(org, "shop") || strings.Contains(org, "aws-beta") {
			t.Errorf("anonymous org page must list shop and not aws-beta:\n%s", org)
		}
		if c, b := get(t, "/ui/acme/environments/shop/snapshots/1", ""); c != 200 || strings.Contains(b, "cyberdojo/runner:priv") || !strings.Contains(b, "cyberdojo/runner:pub") {
			t.Errorf("anonymous public environment's snapshot = %d, want the public artifact only", c)
		}
	})
}
