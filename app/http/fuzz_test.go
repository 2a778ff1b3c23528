package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// checkNoServerError fails on a 5xx, on an error response that is not the
// JSON error shape, and on a 200 that is not JSON.
func checkNoServerError(t *testing.T, code int, contentType string, body []byte) {
	t.Helper()
	switch {
	case code >= 500:
		t.Fatalf("status %d: %s", code, body)
	case code >= 400:
		checkErrorShape(t, code, contentType, body, "")
	case code == http.StatusOK && !json.Valid(body):
		t.Fatalf("200 with invalid JSON %q", body)
	}
}

func FuzzRegister(f *testing.F) {
	for _, s := range []string{
		`{"username":"a","email":"a@b","pwd":"p"}`, `{}`, `null`, `[`, `{"username":5}`,
		"{\"username\":\"\xff\"}", `{"username":"a\u0000","email":"@","pwd":"x"}`,
	} {
		f.Add(s, "application/json")
	}
	f.Add(`{"username":"a"}`, "text/plain")
	h, _ := newHandler(f)
	f.Fuzz(func(t *testing.T, body, contentType string) {
		if strings.Contains(contentType, "form") {
			return // form posts belong to the web UI
		}
		w := serve(t, h, req{method: "POST", target: "/register?latest=1", body: body, contentType: contentType})
		if w.Code != http.StatusNoContent {
			checkNoServerError(t, w.Code, w.Header().Get("Content-Type"), w.Body.Bytes())
		}
	})
}

func FuzzMsgs(f *testing.F) {
	f.Add("alice", "10", `{"content":"hi"}`)
	f.Add("Roger Histand", "-1", `{"content":5}`)
	f.Add("ü", "x", "{\"content\":\"\xff\"}")
	f.Add("alice", "99999999999999999999", `{"content":"\u0000"}`)
	h, _ := newHandler(f)
	registerUser(f, h, "alice")
	f.Fuzz(func(t *testing.T, user, no, body string) {
		target := "/msgs/" + url.PathEscape(user) + "?no=" + url.QueryEscape(no)
		get := sim(t, h, "GET", target, "")
		checkNoServerError(t, get.Code, get.Header().Get("Content-Type"), get.Body.Bytes())
		post := sim(t, h, "POST", "/msgs/alice?latest="+url.QueryEscape(no), body)
		if post.Code != http.StatusNoContent {
			checkNoServerError(t, post.Code, post.Header().Get("Content-Type"), post.Body.Bytes())
		}
		all := sim(t, h, "GET", "/msgs?no="+url.QueryEscape(no), "")
		checkNoServerError(t, all.Code, all.Header().Get("Content-Type"), all.Body.Bytes())
	})
}

func FuzzFllws(f *testing.F) {
	f.Add("alice", `{"follow":"bob"}`)
	f.Add("bob", `{"unfollow":"alice"}`)
	f.Add("alice", `{"follow":5}`)
	f.Add("nobody", `{"follow":"alice","unfollow":"bob"}`)
	f.Add("alice", "{\"follow\":\"\xff\"}")
	h, _ := newHandler(f)
	registerUser(f, h, "alice")
	registerUser(f, h, "bob")
	f.Fuzz(func(t *testing.T, user, body string) {
		target := "/fllws/" + url.PathEscape(user)
		post := sim(t, h, "POST", target, body)
		if post.Code != http.StatusNoContent {
			checkNoServerError(t, post.Code, post.Header().Get("Content-Type"), post.Body.Bytes())
		}
		get := sim(t, h, "GET", target, "")
		checkNoServerError(t, get.Code, get.Header().Get("Content-Type"), get.Body.Bytes())
	})
}
