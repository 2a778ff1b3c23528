package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// webClient is a cookie-keeping client, like a `requests.Session` in the
// course's UI tests: plain form posts, redirects followed.
type webClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newWebClient(t *testing.T, base string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: base, http: &http.Client{Jar: jar}}
}

type webPage struct {
	status int
	body   string
}

func (c *webClient) read(resp *http.Response, err error) webPage {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return webPage{resp.StatusCode, string(b)}
}

func (c *webClient) get(path string) webPage {
	c.t.Helper()
	return c.read(c.http.Get(c.base + path))
}

func (c *webClient) post(path string, form url.Values) webPage {
	c.t.Helper()
	return c.read(c.http.PostForm(c.base+path, form))
}

func (c *webClient) register(name, pw, pw2, email string) webPage {
	c.t.Helper()
	if email == "" {
		email = name + "@example.com"
	}
	return c.post("/register", url.Values{"username": {name}, "password": {pw}, "password2": {pw2}, "email": {email}})
}

func (c *webClient) login(name, pw string) webPage {
	c.t.Helper()
	return c.post("/login", url.Values{"username": {name}, "password": {pw}})
}

func contains(t *testing.T, p webPage, want string, yes bool) {
	t.Helper()
	if strings.Contains(p.body, want) != yes {
		t.Fatalf("page (status %d) contains %q = %v, want %v:\n%s", p.status, want, !yes, yes, p.body)
	}
}

// TestWebUICourseFlow replays the course's own UI tests (register, login,
// messages, timelines) over real HTTP against the real server, checking
// the exact strings they look for.
func TestWebUICourseFlow(t *testing.T) {
	srv, _ := start(t, server.Config{DB: sqliteDSN(t)})
	base := srv.Addr()

	t.Run("register", func(t *testing.T) {
		c := newWebClient(t, base)
		contains(t, c.register("user1", "default", "default", ""), "You were successfully registered and can login now", true)
		contains(t, c.register("user1", "default", "default", ""), "The username is already taken", true)
		contains(t, c.register("", "default", "default", ""), "You have to enter a username", true)
		contains(t, c.register("meh", "", "", ""), "You have to enter a password", true)
		contains(t, c.register("meh", "x", "y", ""), "The two passwords do not match", true)
		contains(t, c.register("meh", "foo", "foo", "broken"), "You have to enter a valid email address", true)
	})
	t.Run("login and logout", func(t *testing.T) {
		c := newWebClient(t, base)
		c.register("user2", "default", "default", "")
		contains(t, c.login("user2", "default"), "You were logged in", true)
		contains(t, c.get("/logout"), "You were logged out", true)
		contains(t, c.login("user2", "wrongpassword"), "Invalid password", true)
		contains(t, c.login("user3", "wrongpassword"), "Invalid username", true)
	})
	t.Run("message recording", func(t *testing.T) {
		c := newWebClient(t, base)
		c.register("foo", "default", "default", "")
		c.login("foo", "default")
		c.post("/add_message", url.Values{"text": {"test message 1"}})
		p := c.post("/add_message", url.Values{"text": {"<test message 2>"}})
		contains(t, p, "Your message was recorded", true)
		contains(t, p, "test message 1", true)
		contains(t, p, "&lt;test message 2&gt;", true)
	})
	t.Run("timelines", func(t *testing.T) {
		foo := newWebClient(t, base)
		foo.login("foo", "default")
		foo.post("/add_message", url.Values{"text": {"the message by foo"}})
		bar := newWebClient(t, base)
		bar.register("bar", "default", "default", "")
		bar.login("bar", "default")
		bar.post("/add_message", url.Values{"text": {"the message by bar"}})
		p := bar.get("/public")
		contains(t, p, "the message by foo", true)
		contains(t, p, "the message by bar", true)
		p = bar.get("/")
		contains(t, p, "the message by foo", false)
		contains(t, p, "the message by bar", true)
		contains(t, bar.get("/foo/follow"), "You are now following &#34;foo&#34;", true)
		p = bar.get("/")
		contains(t, p, "the message by foo", true)
		contains(t, p, "the message by bar", true)
		p = bar.get("/bar")
		contains(t, p, "the message by foo", false)
		contains(t, p, "the message by bar", true)
		p = bar.get("/foo")
		contains(t, p, "the message by foo", true)
		contains(t, p, "the message by bar", false)
		contains(t, bar.get("/foo/unfollow"), "You are no longer following &#34;foo&#34;", true)
		p = bar.get("/")
		contains(t, p, "the message by foo", false)
		contains(t, p, "the message by bar", true)
	})
	t.Run("statuses", func(t *testing.T) {
		anon := newWebClient(t, base)
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/foo/follow", 401}, {"/foo/unfollow", 401}, {"/nobody", 404}, {"/public", 200}, {"/login", 200}, {"/register", 200},
		} {
			if p := anon.get(tc.path); p.status != tc.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, p.status, tc.status)
			}
		}
		if p := anon.post("/add_message", url.Values{"text": {"x"}}); p.status != 401 {
			t.Fatalf("POST /add_message signed out = %d", p.status)
		}
		// Signed out, / goes to the public timeline.
		contains(t, anon.get("/"), "Public Timeline | MiniTwit", true)
	})
	t.Run("simulator users show up in the UI", func(t *testing.T) {
		c := newAPIClient(t, base)
		c.call("POST", "/register", `{"username":"Roger Histand","email":"r@h","pwd":"pw"}`, "-")
		c.call("POST", "/msgs/Roger%20Histand", `{"content":"via the API"}`, "")
		w := newWebClient(t, base)
		contains(t, w.get("/Roger%20Histand"), "via the API", true)
		// and can sign in to the web UI with the API password.
		contains(t, w.login("Roger Histand", "pw"), "sign out [Roger Histand]", true)
	})
}

// TestWebUIBadInputPostgres sends the web UI input that PostgreSQL refuses
// to store or even compare (NUL, invalid UTF-8): a 4xx or the form's
// error, never a 500.
func TestWebUIBadInputPostgres(t *testing.T) {
	srv, _ := start(t, server.Config{DB: testenv.PostgresURL(t)})
	c := newWebClient(t, srv.Addr())
	contains(t, c.register("ok", "p", "p", ""), "You were successfully registered", true)
	contains(t, c.login("a\x00b", "p"), "Invalid username", true)
	contains(t, c.login("\xff", "p"), "Invalid username", true)
	if p := c.register("a\x00b", "p", "p", ""); p.status != 400 || !strings.Contains(p.body, "NUL") {
		t.Fatalf("register NUL: %d", p.status)
	}
	if p := c.get("/a%00b"); p.status != 400 {
		t.Fatalf("profile with NUL: %d", p.status)
	}
	c.login("ok", "p")
	for _, text := range []string{"a\x00b", "\xff\xfe"} {
		if p := c.post("/add_message", url.Values{"text": {text}}); p.status != 400 {
			t.Fatalf("add_message %q: %d", text, p.status)
		}
	}
	contains(t, c.post("/add_message", url.Values{"text": {"fine"}}), "Your message was recorded", true)
}
