package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	mthttp "github.com/minitwit-cd/kit/app/http"
)

func TestAuthRequired(t *testing.T) {
	h, _ := newHandler(t)
	registerUser(t, h, "alice")
	endpoints := []struct{ method, target, body string }{
		{"GET", "/msgs", ""},
		{"GET", "/msgs/alice", ""},
		{"POST", "/msgs/alice", `{"content":"x"}`},
		{"GET", "/fllws/alice", ""},
		{"POST", "/fllws/alice", `{"follow":"alice"}`},
	}
	auths := []struct{ name, header string }{
		{"missing", ""},
		{"wrong password", "Basic " + b64("simulator:wrong")},
		{"wrong user", "Basic " + b64("simulatorx:super_safe!")},
		{"not basic", "Bearer c2ltdWxhdG9yOnN1cGVyX3NhZmUh"},
		{"garbage", "Basic !!!"},
	}
	for _, e := range endpoints {
		for _, a := range auths {
			t.Run(e.method+" "+e.target+" "+a.name, func(t *testing.T) {
				w := serve(t, h, req{method: e.method, target: e.target, body: e.body, contentType: "application/json", auth: a.header})
				wantAPIError(t, w, http.StatusForbidden, "You are not authorized to use this resource!")
				if got := w.Body.String(); got != `{"status":403,"error_msg":"You are not authorized to use this resource!"}` {
					t.Fatalf("body %q", got)
				}
			})
		}
	}
}

func TestConfigurableCredentials(t *testing.T) {
	store := newStore(t)
	cfg := testConfig()
	cfg.SimUser, cfg.SimPassword = "bot", "s3cret"
	h := mthttp.NewHandler(cfg, store)
	wantStatus(t, serve(t, h, req{target: "/msgs", auth: simAuth}), http.StatusForbidden)
	wantStatus(t, serve(t, h, req{target: "/msgs", auth: "Basic " + b64("bot:s3cret")}), http.StatusOK)
}

// TestLatestRecordedForAdmittedRequests: latest moves for every request
// the simulator's authorization admits, failed or not, but not for a 403.
func TestLatestRecordedForAdmittedRequests(t *testing.T) {
	h, store := newHandler(t)
	steps := []struct {
		name   string
		r      req
		status int
		latest int64
	}{
		{"nothing yet", req{target: "/latest"}, 200, -1},
		{"register", req{method: "POST", target: "/register?latest=1", body: `{"username":"a","email":"a@a","pwd":"p"}`, contentType: "application/json"}, 204, 1},
		{"rejected by auth", req{target: "/msgs?latest=2"}, 403, 1},
		{"rejected by validation", req{method: "POST", target: "/register?latest=3", body: `{}`, contentType: "application/json"}, 400, 3},
		{"unknown user", req{target: "/msgs/nobody?latest=4", auth: simAuth}, 404, 4},
		{"non-integer ignored", req{target: "/msgs?latest=five", auth: simAuth}, 200, 4},
		{"float ignored", req{target: "/msgs?latest=5.5", auth: simAuth}, 200, 4},
		{"lower value still recorded", req{target: "/fllws/a?latest=0", auth: simAuth}, 200, 0},
		{"negative recorded", req{target: "/msgs?latest=-7", auth: simAuth}, 200, -7},
		{"GET /latest ignores latest", req{target: "/latest?latest=99"}, 200, -7},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			wantStatus(t, serve(t, h, s.r), s.status)
			got, err := store.Latest(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != s.latest {
				t.Fatalf("latest = %d, want %d", got, s.latest)
			}
			w := serve(t, h, req{target: "/latest"})
			if want := fmt.Sprintf(`{"latest":%d}`, s.latest); w.Body.String() != want {
				t.Fatalf("GET /latest = %q, want %q", w.Body.String(), want)
			}
		})
	}
}

func TestRegisterErrorsInOrder(t *testing.T) {
	h, _ := newHandler(t)
	registerUser(t, h, "taken")
	tests := []struct{ name, body, msg string }{
		{"all missing", `{}`, "You have to enter a username"},
		{"empty username", `{"username":"","email":"x@y","pwd":"p"}`, "You have to enter a username"},
		{"null username", `{"username":null,"email":"x@y","pwd":"p"}`, "You have to enter a username"},
		{"missing email", `{"username":"u","pwd":"p"}`, "You have to enter a valid email address"},
		{"email without at", `{"username":"u","email":"nope","pwd":"p"}`, "You have to enter a valid email address"},
		{"missing password", `{"username":"u","email":"x@y"}`, "You have to enter a password"},
		{"taken", `{"username":"taken","email":"x@y","pwd":"p"}`, "The username is already taken"},
		{"taken but no email: email first", `{"username":"taken","pwd":"p"}`, "You have to enter a valid email address"},
		{"username too long", `{"username":"` + strings.Repeat("u", 256) + `","email":"x@y","pwd":"p"}`, "too long"},
		{"10000-char username", `{"username":"` + strings.Repeat("ü", 10000) + `","email":"x@y","pwd":"p"}`, "too long"},
		{"NUL in username", `{"username":"a\u0000b","email":"x@y","pwd":"p"}`, "NUL"},
		{"password over 72 bytes", `{"username":"u","email":"x@y","pwd":"` + strings.Repeat("p", 73) + `"}`, "password is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, h, req{method: "POST", target: "/register", body: tt.body, contentType: "application/json"})
			wantAPIError(t, w, http.StatusBadRequest, tt.msg)
		})
	}
	t.Run("255 characters is fine", func(t *testing.T) {
		body := `{"username":"` + strings.Repeat("ü", 255) + `","email":"x@y","pwd":"p"}`
		wantStatus(t, serve(t, h, req{method: "POST", target: "/register", body: body, contentType: "application/json"}), http.StatusNoContent)
	})
}

func TestBadJSONInput(t *testing.T) {
	h, _ := newHandler(t)
	registerUser(t, h, "alice")
	registerUser(t, h, "bob")
	big := `{"content":"` + strings.Repeat("x", mthttp.MaxBodyBytes) + `"}`
	bodies := []struct{ name, contentType, body, msg string }{
		{"malformed", "application/json", `{"content":`, "Malformed JSON"},
		{"trailing garbage", "application/json", `{"content":"x"} x`, "Malformed JSON"},
		{"array", "application/json", `["x"]`, "expected an object"},
		{"string", "application/json", `"x"`, "expected an object"},
		{"wrong field type", "application/json", `{"content":5,"follow":5,"username":5}`, "must be a string"},
		{"form content type", "application/x-www-form-urlencoded", `content=x`, "Content-Type must be application/json"},
		{"text content type", "text/plain", `{"content":"x"}`, "Content-Type must be application/json"},
		{"no content type", "", `{"content":"x"}`, "Content-Type must be application/json"},
		{"bad media type", "application/json; charset", `{"content":"x"}`, "Content-Type"},
		{"invalid UTF-8", "application/json", "{\"content\":\"\xff\xfe\",\"follow\":\"\xff\",\"username\":\"\xff\"}", "not valid UTF-8"},
		{"oversized", "application/json", big, "too large"},
		{"empty body", "application/json", ``, "Malformed JSON"},
	}
	targets := []string{"/msgs/alice", "/fllws/alice", "/register"}
	for _, target := range targets {
		for _, b := range bodies {
			if target == "/register" && b.contentType != "application/json" && strings.Contains(b.contentType, "form") {
				continue // a form POST /register belongs to the web UI
			}
			t.Run(target+" "+b.name, func(t *testing.T) {
				w := serve(t, h, req{method: "POST", target: target, body: b.body, contentType: b.contentType, auth: simAuth})
				wantAPIError(t, w, http.StatusBadRequest, b.msg)
			})
		}
	}
}

func TestMessages(t *testing.T) {
	h, _ := newHandler(t)
	registerUser(t, h, "Roger Histand")
	registerUser(t, h, "Ærlig Åse")
	posts := []struct{ user, content string }{
		{"Roger Histand", "first <b>bold</b> & \"quoted\""},
		{"Ærlig Åse", "andet"},
		{"Roger Histand", "third\nline \u2028 ✓"},
	}
	for _, p := range posts {
		body, _ := json.Marshal(map[string]string{"content": p.content})
		wantStatus(t, sim(t, h, "POST", "/msgs/"+url.PathEscape(p.user), string(body)), http.StatusNoContent)
	}
	type msg struct {
		Content string `json:"content"`
		PubDate int64  `json:"pub_date"`
		User    string `json:"user"`
	}
	get := func(t *testing.T, target string) []msg {
		t.Helper()
		w := sim(t, h, "GET", target, "")
		wantStatus(t, w, http.StatusOK)
		var ms []msg
		if err := json.Unmarshal(w.Body.Bytes(), &ms); err != nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
		// pub_date must be a JSON integer, not a string or float.
		var raw []map[string]json.RawMessage
		json.Unmarshal(w.Body.Bytes(), &raw)
		for _, r := range raw {
			if len(r) != 3 || strings.ContainsAny(string(r["pub_date"]), `".eE`) {
				t.Fatalf("message object %v is not {content, pub_date:int, user}", r)
			}
		}
		return ms
	}
	t.Run("public newest first", func(t *testing.T) {
		ms := get(t, "/msgs")
		if len(ms) != 3 || ms[0].Content != posts[2].content || ms[1].Content != posts[1].content || ms[2].Content != posts[0].content {
			t.Fatalf("got %+v", ms)
		}
		if ms[0].User != "Roger Histand" || ms[1].User != "Ærlig Åse" || ms[0].PubDate < 1_600_000_000 {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("no limits", func(t *testing.T) {
		if ms := get(t, "/msgs?no=2"); len(ms) != 2 || ms[0].Content != posts[2].content {
			t.Fatalf("got %+v", ms)
		}
		if ms := get(t, "/msgs?no=0"); len(ms) != 0 {
			t.Fatalf("got %+v", ms)
		}
		if ms := get(t, "/msgs?no=99999999999999999999999"); len(ms) != 3 {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("per user, percent-encoded unicode", func(t *testing.T) {
		ms := get(t, "/msgs/"+url.PathEscape("Roger Histand"))
		if len(ms) != 2 || ms[0].Content != posts[2].content || ms[1].Content != posts[0].content {
			t.Fatalf("got %+v", ms)
		}
		ms = get(t, "/msgs/%C3%86rlig%20%C3%85se?no=1")
		if len(ms) != 1 || ms[0].User != "Ærlig Åse" {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("bad no", func(t *testing.T) {
		for _, no := range []string{"x", "-1", "1.5", "", "1e3"} {
			for _, target := range []string{"/msgs", "/msgs/Roger%20Histand", "/fllws/Roger%20Histand"} {
				wantAPIError(t, sim(t, h, "GET", target+"?no="+url.QueryEscape(no), ""), http.StatusBadRequest, "no must be a non-negative integer")
			}
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		wantAPIError(t, sim(t, h, "GET", "/msgs/nobody", ""), http.StatusNotFound, `Unknown user "nobody"`)
		wantAPIError(t, sim(t, h, "POST", "/msgs/nobody", `{"content":"x"}`), http.StatusNotFound, "Unknown user")
	})
	t.Run("missing content", func(t *testing.T) {
		wantAPIError(t, sim(t, h, "POST", "/msgs/Roger%20Histand", `{}`), http.StatusBadRequest, "content")
		wantAPIError(t, sim(t, h, "POST", "/msgs/Roger%20Histand", `{"content":null}`), http.StatusBadRequest, "content")
	})
	t.Run("10000-char username in path", func(t *testing.T) {
		wantAPIError(t, sim(t, h, "GET", "/msgs/"+strings.Repeat("a", 10000), ""), http.StatusBadRequest, "too long")
	})
	t.Run("invalid UTF-8 in path", func(t *testing.T) {
		wantAPIError(t, sim(t, h, "GET", "/msgs/%FF%FE", ""), http.StatusBadRequest, "UTF-8")
	})
}

func TestFollows(t *testing.T) {
	h, _ := newHandler(t)
	for _, n := range []string{"a", "b", "Roger Histand", "c"} {
		registerUser(t, h, n)
	}
	follows := func(t *testing.T, target string) []string {
		t.Helper()
		w := sim(t, h, "GET", target, "")
		wantStatus(t, w, http.StatusOK)
		var body struct {
			Follows []string `json:"follows"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Follows == nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
		return body.Follows
	}
	steps := []struct {
		name, body string
		status     int
		want       []string
	}{
		{"follow b", `{"follow":"b"}`, 204, []string{"b"}},
		{"follow unicode name", `{"follow":"Roger Histand"}`, 204, []string{"b", "Roger Histand"}},
		{"follow twice keeps one edge", `{"follow":"b"}`, 204, []string{"b", "Roger Histand"}},
		{"unfollow b", `{"unfollow":"b"}`, 204, []string{"Roger Histand"}},
		{"unfollow absent is 204", `{"unfollow":"c"}`, 204, []string{"Roger Histand"}},
		{"follow unknown", `{"follow":"zed"}`, 404, []string{"Roger Histand"}},
		{"unfollow unknown", `{"unfollow":"zed"}`, 404, []string{"Roger Histand"}},
		{"neither key", `{"x":"b"}`, 400, []string{"Roger Histand"}},
		{"null follow", `{"follow":null}`, 400, []string{"Roger Histand"}},
		{"follow too-long name", `{"follow":"` + strings.Repeat("z", 300) + `"}`, 400, []string{"Roger Histand"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			w := sim(t, h, "POST", "/fllws/a", s.body)
			wantStatus(t, w, s.status)
			if s.status != 204 {
				checkErrorShape(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes(), "")
			}
			if got := follows(t, "/fllws/a"); strings.Join(got, "|") != strings.Join(s.want, "|") {
				t.Fatalf("follows = %q, want %q", got, s.want)
			}
		})
	}
	t.Run("no limits the list", func(t *testing.T) {
		wantStatus(t, sim(t, h, "POST", "/fllws/a", `{"follow":"c"}`), 204)
		if got := follows(t, "/fllws/a?no=1"); len(got) != 1 {
			t.Fatalf("got %q", got)
		}
		if got := follows(t, "/fllws/a?no=0"); len(got) != 0 {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("lists followees, not followers", func(t *testing.T) {
		if got := follows(t, "/fllws/b"); len(got) != 0 {
			t.Fatalf("b follows nobody, got %q", got)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		wantAPIError(t, sim(t, h, "GET", "/fllws/zed", ""), http.StatusNotFound, "Unknown user")
		wantAPIError(t, sim(t, h, "POST", "/fllws/zed", `{"follow":"a"}`), http.StatusNotFound, "Unknown user")
	})
}

func TestAPIOnlyHandler(t *testing.T) {
	store := newStore(t)
	h := mthttp.NewAPIHandler(testConfig(), store)
	// A form POST /register is still the API on the API-only port.
	w := serve(t, h, req{method: "POST", target: "/register", body: "username=x", contentType: "application/x-www-form-urlencoded"})
	wantAPIError(t, w, http.StatusBadRequest, "Content-Type must be application/json")
	registerUser(t, h, "x")
	wantStatus(t, sim(t, h, "GET", "/msgs/x", ""), http.StatusOK)
	wantAPIError(t, serve(t, h, req{target: "/public"}), http.StatusNotFound, "Not found")
	wantAPIError(t, serve(t, h, req{method: "DELETE", target: "/msgs"}), http.StatusMethodNotAllowed, "not allowed")
	wantStatus(t, serve(t, h, req{target: "/healthz"}), http.StatusOK)
}

func TestOperationalEndpoints(t *testing.T) {
	store := newStore(t)
	var logs bytes.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h := mthttp.NewHandler(cfg, store)
	registerUser(t, h, "a")
	wantStatus(t, sim(t, h, "POST", "/msgs/a", `{"content":"x"}`), 204)
	t.Run("healthz", func(t *testing.T) {
		w := serve(t, h, req{target: "/healthz"})
		wantStatus(t, w, http.StatusOK)
	})
	t.Run("version", func(t *testing.T) {
		w := serve(t, h, req{target: "/version"})
		wantStatus(t, w, http.StatusOK)
		// "dirty" (a bool) appears when the work tree has changes.
		var v struct{ Version, Commit string }
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || v.Version == "" {
			t.Fatalf("version body %q: %v", w.Body.String(), err)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		w := serve(t, h, req{target: "/metrics"})
		wantStatus(t, w, http.StatusOK)
		body := w.Body.String()
		for _, want := range []string{
			"minitwit_users 1\n",
			"minitwit_messages 1\n",
			`minitwit_http_requests_total{method="POST",route="/msgs/:username",status="204"} 1`,
			`minitwit_http_requests_total{method="POST",route="/register",status="204"} 1`,
			`minitwit_http_request_duration_seconds_bucket{method="POST",route="/msgs/:username",le="0.3"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Fatalf("metrics lack %q:\n%s", want, body)
			}
		}
	})
	t.Run("healthz fails when the store is closed", func(t *testing.T) {
		store.Close()
		w := serve(t, h, req{target: "/healthz"})
		wantStatus(t, w, http.StatusServiceUnavailable)
		// And a store failure in the API is a logged 500 with a generic
		// message, still in the JSON error shape.
		wantAPIError(t, sim(t, h, "GET", "/msgs", ""), http.StatusInternalServerError, "Internal error.")
		if !strings.Contains(logs.String(), `msg="internal error" method=GET path=/msgs error="public timeline: `) {
			t.Fatalf("internal error not logged with its cause:\n%s", logs.String())
		}
		// The web UI shows a generic 500 page, never the cause.
		w = serve(t, h, req{target: "/public"})
		wantStatus(t, w, http.StatusInternalServerError)
		if !strings.Contains(w.Body.String(), "Internal error.") || strings.Contains(w.Body.String(), "sql") {
			t.Fatalf("500 page: %s", w.Body.String())
		}
	})
	t.Run("request log", func(t *testing.T) {
		if !strings.Contains(logs.String(), `msg=request method=POST path=/msgs/a route=/msgs/:username status=204`) {
			t.Fatalf("no request log line:\n%s", logs.String())
		}
	})
}

func TestNoIsClampedAtMax(t *testing.T) {
	h, store := newHandler(t)
	registerUser(t, h, "a")
	ctx := context.Background()
	u, err := store.UserByName(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for i := range mthttp.MaxNo + 5 {
		if _, err := store.AddMessage(ctx, u.ID, fmt.Sprint("m", i), time.Unix(1_700_000_000+int64(i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/msgs", mthttp.DefaultNo},
		{"/msgs?no=1000", mthttp.MaxNo},
		{"/msgs?no=1001", mthttp.MaxNo},
		{"/msgs/a?no=50000", mthttp.MaxNo},
		{"/msgs/a?no=999", 999},
	} {
		t.Run(tc.target, func(t *testing.T) {
			w := sim(t, h, "GET", tc.target, "")
			wantStatus(t, w, http.StatusOK)
			var ms []map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &ms); err != nil {
				t.Fatal(err)
			}
			if len(ms) != tc.want {
				t.Fatalf("%d messages, want %d", len(ms), tc.want)
			}
			if ms[0]["content"] != fmt.Sprint("m", mthttp.MaxNo+4) || ms[0]["pub_date"] != float64(1_700_000_000+mthttp.MaxNo+4) {
				t.Fatalf("newest message %v", ms[0])
			}
		})
	}
}
