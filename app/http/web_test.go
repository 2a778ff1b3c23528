package http_test

import (
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	mthttp "github.com/minitwit-cd/kit/app/http"
)

// client is a cookie-keeping HTTP client against one test server, like
// the `requests.Session` of the course's UI tests.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newWebServer(t *testing.T) string {
	t.Helper()
	h, _ := newHandler(t)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar}}
}

// page is a fetched response with its body read.
type page struct {
	status   int
	body     string
	location string // set when redirects were not followed
}

func (c *client) do(r *http.Request, follow bool) page {
	c.t.Helper()
	hc := *c.http
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := hc.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s: %v", r.URL, err)
	}
	return page{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
}

// get fetches a path, following redirects.
func (c *client) get(path string) page {
	c.t.Helper()
	r, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(r, true)
}

// getNoFollow fetches a path without following redirects.
func (c *client) getNoFollow(path string) page {
	c.t.Helper()
	r, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(r, false)
}

// post sends a form, following redirects, with extra headers as pairs.
func (c *client) post(path string, form url.Values, headers ...string) page {
	c.t.Helper()
	r, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return c.do(r, true)
}

func (c *client) register(name, pw, pw2, email string) page {
	c.t.Helper()
	return c.post("/register", url.Values{"username": {name}, "password": {pw}, "password2": {pw2}, "email": {email}})
}

func (c *client) login(name, pw string) page {
	c.t.Helper()
	return c.post("/login", url.Values{"username": {name}, "password": {pw}})
}

func (c *client) registerAndLogin(name string) {
	c.t.Helper()
	c.register(name, "default", "default", name+"@example.com")
	if p := c.login(name, "default"); !strings.Contains(p.body, "You were logged in") {
		c.t.Fatalf("login %s failed: %d %s", name, p.status, p.body)
	}
}

func (c *client) addMessage(text string) page {
	c.t.Helper()
	return c.post("/add_message", url.Values{"text": {text}})
}

func has(t *testing.T, p page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Fatalf("page (status %d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

func hasNot(t *testing.T, p page, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(p.body, w) {
			t.Fatalf("page (status %d) has %q:\n%s", p.status, w, p.body)
		}
	}
}

func wantPageStatus(t *testing.T, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

// wantTitle checks the page title, which must end in " | MiniTwit".
func wantTitle(t *testing.T, p page, title string) {
	t.Helper()
	m := titleRE.FindStringSubmatch(p.body)
	if m == nil || m[1] != title+" | MiniTwit" {
		t.Fatalf("title %q, want %q", m, title+" | MiniTwit")
	}
}

// flashes returns the items of the page's ul.flashes list.
func flashes(p page) []string {
	i := strings.Index(p.body, `<ul class="flashes">`)
	if i < 0 {
		return nil
	}
	rest := p.body[i:]
	rest = rest[:strings.Index(rest, "</ul>")]
	var out []string
	for _, m := range regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(rest, -1) {
		out = append(out, m[1])
	}
	return out
}

// errorText returns the text of the page's .error element.
func errorText(p page) string {
	m := regexp.MustCompile(`(?s)<div class="error">(.*?)</div>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestWebRegister(t *testing.T) {
	c := newClient(t, newWebServer(t))
	tests := []struct {
		name, user, pw, pw2, email, err string
	}{
		{"no username", "", "p", "p", "a@b", "You have to enter a username"},
		{"no email", "user1", "p", "p", "", "You have to enter a valid email address"},
		{"email without at", "user1", "p", "p", "broken", "You have to enter a valid email address"},
		{"no password", "user1", "", "", "a@b", "You have to enter a password"},
		{"passwords differ", "user1", "1", "2", "a@b", "The two passwords do not match"},
		{"username first", "", "", "x", "", "You have to enter a username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.register(tt.user, tt.pw, tt.pw2, tt.email)
			wantPageStatus(t, p, http.StatusOK)
			wantTitle(t, p, "Sign Up")
			if got := errorText(p); !strings.Contains(got, tt.err) {
				t.Fatalf(".error = %q, want %q", got, tt.err)
			}
		})
	}
	t.Run("success flashes once on the login page", func(t *testing.T) {
		p := c.register("user1", "default", "default", "user1@example.com")
		wantPageStatus(t, p, http.StatusOK)
		wantTitle(t, p, "Sign In")
		if f := flashes(p); len(f) != 1 || f[0] != "You were successfully registered and can login now" {
			t.Fatalf("flashes %q", f)
		}
		if f := flashes(c.get("/login")); f != nil {
			t.Fatalf("flash shown twice: %q", f)
		}
	})
	t.Run("redirects to /login", func(t *testing.T) {
		r, _ := http.NewRequest("POST", c.base+"/register", strings.NewReader(url.Values{"username": {"user2"}, "password": {"x"}, "password2": {"x"}, "email": {"u@x"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		p := c.do(r, false)
		if p.status != http.StatusFound || p.location != "/login" {
			t.Fatalf("status %d location %q", p.status, p.location)
		}
	})
	t.Run("taken", func(t *testing.T) {
		p := c.register("user1", "default", "default", "user1@example.com")
		if got := errorText(p); !strings.Contains(got, "The username is already taken") {
			t.Fatalf(".error = %q", got)
		}
	})
	t.Run("too long is a 400 on the form", func(t *testing.T) {
		p := c.register(strings.Repeat("x", 300), "p", "p", "a@b")
		wantPageStatus(t, p, http.StatusBadRequest)
		has(t, p, "too long", `class="error"`)
	})
	t.Run("form field values are kept and escaped", func(t *testing.T) {
		p := c.register(`<bad>"name`, "1", "2", "a@b")
		has(t, p, `value="&lt;bad&gt;&#34;name"`)
	})
}

func TestWebLoginLogout(t *testing.T) {
	c := newClient(t, newWebServer(t))
	c.register("user1", "default", "default", "u@example.com")
	t.Run("unknown user", func(t *testing.T) {
		p := c.login("user2", "wrongpassword")
		if got := errorText(p); !strings.Contains(got, "Invalid username") {
			t.Fatalf(".error = %q", got)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		p := c.login("user1", "wrongpassword")
		if got := errorText(p); !strings.Contains(got, "Invalid password") {
			t.Fatalf(".error = %q", got)
		}
	})
	t.Run("success", func(t *testing.T) {
		p := c.login("user1", "default")
		has(t, p, "You were logged in", "my timeline", "public timeline", "sign out [user1]", "What's on your mind user1?")
		wantTitle(t, p, "My Timeline")
		if f := flashes(p); len(f) != 1 {
			t.Fatalf("flashes %q", f)
		}
		hasNot(t, c.get("/"), "You were logged in")
	})
	t.Run("signed-in users skip the forms", func(t *testing.T) {
		for _, path := range []string{"/login", "/register"} {
			if p := c.getNoFollow(path); p.status != http.StatusFound || p.location != "/" {
				t.Fatalf("%s: status %d location %q", path, p.status, p.location)
			}
		}
	})
	t.Run("logout", func(t *testing.T) {
		raw := c.getNoFollow("/logout")
		if raw.status != http.StatusFound || raw.location != "/public" {
			t.Fatalf("status %d location %q", raw.status, raw.location)
		}
		p := c.get("/public")
		has(t, p, "You were logged out", "sign up", "sign in")
		hasNot(t, p, "sign out", "my timeline")
		if p := c.getNoFollow("/"); p.status != http.StatusFound || p.location != "/public" {
			t.Fatalf("signed out /: status %d location %q", p.status, p.location)
		}
	})
}

func TestWebMessagesAndFollowing(t *testing.T) {
	base := newWebServer(t)
	foo, bar, anon := newClient(t, base), newClient(t, base), newClient(t, base)
	foo.registerAndLogin("foo")
	bar.registerAndLogin("bar")

	t.Run("empty timeline", func(t *testing.T) {
		p := anon.get("/public")
		has(t, p, "There's no message so far.")
		wantTitle(t, p, "Public Timeline")
	})
	t.Run("add messages, escaped", func(t *testing.T) {
		p := foo.addMessage("test message 1")
		has(t, p, "Your message was recorded", "test message 1")
		p = foo.addMessage("<test message 2>")
		has(t, p, "&lt;test message 2&gt;")
		hasNot(t, p, "<test message 2>")
		bar.addMessage("the message by bar")
	})
	t.Run("empty text records nothing", func(t *testing.T) {
		p := foo.addMessage("")
		hasNot(t, p, "Your message was recorded")
	})
	t.Run("message rows", func(t *testing.T) {
		p := anon.get("/public")
		sum := md5.Sum([]byte("foo@example.com"))
		has(t, p, fmt.Sprintf("https://www.gravatar.com/avatar/%x?d=identicon&amp;s=48", sum), `<a href="/foo">foo</a>`)
		if !regexp.MustCompile(`&mdash; \d{4}-\d\d-\d\d @ \d\d:\d\d</small>`).MatchString(p.body) {
			t.Fatalf("no YYYY-MM-DD @ HH:MM time:\n%s", p.body)
		}
		for _, want := range []string{"test message 1", "&lt;test message 2&gt;", "the message by bar"} {
			has(t, p, want)
		}
		// newest first
		if strings.Index(p.body, "the message by bar") > strings.Index(p.body, "test message 1") {
			t.Fatal("public timeline is not newest first")
		}
	})
	t.Run("own timeline shows only own and followed", func(t *testing.T) {
		p := bar.get("/")
		has(t, p, "the message by bar")
		hasNot(t, p, "test message 1")
	})
	t.Run("profile pages", func(t *testing.T) {
		p := bar.get("/foo")
		wantTitle(t, p, "foo's Timeline")
		has(t, p, "You are not yet following this user.", `href="/foo/follow"`, "test message 1")
		hasNot(t, p, "the message by bar")
		has(t, bar.get("/bar"), "This is you!")
		p = anon.get("/foo")
		hasNot(t, p, "This is you!", "following this user")
	})
	t.Run("follow", func(t *testing.T) {
		raw := bar.getNoFollow("/foo/follow")
		if raw.status != http.StatusFound || raw.location != "/foo" {
			t.Fatalf("status %d location %q", raw.status, raw.location)
		}
		p := bar.get("/foo")
		has(t, p, "You are now following &#34;foo&#34;", "You are currently following this user.", `href="/foo/unfollow"`)
		has(t, bar.get("/"), "test message 1", "the message by bar")
	})
	t.Run("unfollow", func(t *testing.T) {
		p := bar.get("/foo/unfollow")
		has(t, p, "You are no longer following &#34;foo&#34;")
		hasNot(t, bar.get("/"), "test message 1")
	})
	t.Run("signed out is 401", func(t *testing.T) {
		wantPageStatus(t, anon.get("/foo/follow"), http.StatusUnauthorized)
		wantPageStatus(t, anon.get("/foo/unfollow"), http.StatusUnauthorized)
		p := anon.addMessage("sneaky")
		wantPageStatus(t, p, http.StatusUnauthorized)
		wantTitle(t, p, "Unauthorized")
		hasNot(t, anon.get("/public"), "sneaky")
	})
	t.Run("unknown user is 404", func(t *testing.T) {
		wantPageStatus(t, anon.get("/nobody"), http.StatusNotFound)
		wantPageStatus(t, bar.get("/nobody/follow"), http.StatusNotFound)
		wantPageStatus(t, anon.get("/a/b/c"), http.StatusNotFound)
	})
	t.Run("unicode names with spaces", func(t *testing.T) {
		rh := newClient(t, base)
		rh.registerAndLogin("Roger Histand")
		rh.addMessage("hej fra Roger")
		p := bar.get("/Roger%20Histand")
		wantTitle(t, p, "Roger Histand's Timeline")
		has(t, p, `href="/Roger%20Histand/follow"`, "hej fra Roger")
		has(t, bar.get("/Roger%20Histand/follow"), "You are now following &#34;Roger Histand&#34;")
		ae := newClient(t, base)
		ae.registerAndLogin("Ærø/Åse?")
		ae.addMessage("slash and question mark")
		p = anon.get("/public")
		has(t, p, `href="/%C3%86r%C3%B8%2F%C3%85se%3F"`)
		has(t, anon.get("/%C3%86r%C3%B8%2F%C3%85se%3F"), "slash and question mark")
	})
	t.Run("invalid UTF-8 text is a 400", func(t *testing.T) {
		wantPageStatus(t, foo.addMessage("bad \xff"), http.StatusBadRequest)
	})
}

func TestWebPaging(t *testing.T) {
	base := newWebServer(t)
	c := newClient(t, base)
	c.registerAndLogin("pager")
	const n = 65
	for i := range n {
		c.addMessage(fmt.Sprintf("msg-%03d.", i))
	}
	msgRE := regexp.MustCompile(`msg-(\d{3})\.`)
	olderRE := regexp.MustCompile(`<a class="older" href="([^"]+)">older messages`)
	for _, start := range []string{"/", "/public", "/pager"} {
		t.Run(start, func(t *testing.T) {
			var seen []string
			path := start
			for pages := 0; path != ""; pages++ {
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				p := c.get(path)
				wantPageStatus(t, p, http.StatusOK)
				ms := msgRE.FindAllStringSubmatch(p.body, -1)
				if len(ms) > 30 {
					t.Fatalf("%s shows %d messages, want at most 30", path, len(ms))
				}
				for _, m := range ms {
					seen = append(seen, m[1])
				}
				path = ""
				if m := olderRE.FindStringSubmatch(p.body); m != nil {
					path = strings.ReplaceAll(m[1], "&amp;", "&")
				}
			}
			if len(seen) != n {
				t.Fatalf("saw %d messages over all pages, want %d", len(seen), n)
			}
			for i, s := range seen {
				if want := fmt.Sprintf("%03d", n-1-i); s != want {
					t.Fatalf("message %d is %s, want %s (newest first, no overlap)", i, s, want)
				}
			}
		})
	}
	t.Run("bad before", func(t *testing.T) {
		for _, b := range []string{"x", "0", "-3"} {
			wantPageStatus(t, c.get("/public?before="+b), http.StatusBadRequest)
		}
	})
}

// csrfTokenRE finds the hidden CSRF field of a form.
var csrfTokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestWebCSRF(t *testing.T) {
	base := newWebServer(t)
	victim := newClient(t, base)
	victim.registerAndLogin("victim")
	browser := []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}
	t.Run("browser post without token is refused", func(t *testing.T) {
		p := victim.post("/add_message", url.Values{"text": {"forged"}}, browser...)
		wantPageStatus(t, p, http.StatusForbidden)
		has(t, p, "CSRF token is missing or wrong")
		hasNot(t, victim.get("/public"), "forged")
	})
	t.Run("same-origin browser post still needs the token", func(t *testing.T) {
		p := victim.post("/add_message", url.Values{"text": {"forged"}}, "Origin", base, "Sec-Fetch-Site", "same-origin")
		wantPageStatus(t, p, http.StatusForbidden)
	})
	t.Run("wrong token is refused", func(t *testing.T) {
		p := victim.post("/add_message", url.Values{"text": {"forged"}, "csrf_token": {"guess"}})
		wantPageStatus(t, p, http.StatusForbidden)
	})
	t.Run("token from the form is accepted", func(t *testing.T) {
		m := csrfTokenRE.FindStringSubmatch(victim.get("/").body)
		if m == nil {
			t.Fatal("no csrf_token field on the timeline")
		}
		p := victim.post("/add_message", url.Values{"text": {"from the form"}, "csrf_token": {m[1]}}, "Origin", base, "Sec-Fetch-Site", "same-origin")
		has(t, p, "Your message was recorded", "from the form")
	})
	t.Run("another session's token is refused", func(t *testing.T) {
		other := newClient(t, base)
		m := csrfTokenRE.FindStringSubmatch(other.get("/login").body)
		p := victim.post("/add_message", url.Values{"text": {"forged"}, "csrf_token": {m[1]}}, browser...)
		wantPageStatus(t, p, http.StatusForbidden)
	})
	t.Run("login and register forms are protected too", func(t *testing.T) {
		anon := newClient(t, base)
		wantPageStatus(t, anon.post("/login", url.Values{"username": {"victim"}, "password": {"default"}}, browser...), http.StatusForbidden)
		wantPageStatus(t, anon.post("/register", url.Values{"username": {"x"}, "email": {"x@x"}, "password": {"p"}, "password2": {"p"}}, browser...), http.StatusForbidden)
	})
	t.Run("GET follow links keep working", func(t *testing.T) {
		newClient(t, base).register("celeb", "p", "p", "c@x")
		has(t, victim.get("/celeb/follow"), "You are now following &#34;celeb&#34;")
	})
}

func TestWebSessionTampering(t *testing.T) {
	base := newWebServer(t)
	c := newClient(t, base)
	c.registerAndLogin("alice")
	u, _ := url.Parse(base)
	cookies := c.http.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	raw := c.getNoFollow("/")
	if raw.status != http.StatusOK {
		t.Fatalf("signed in / = %d", raw.status)
	}
	// Flip one character of the payload: the signature no longer matches.
	v := []byte(cookies[0].Value)
	v[2] ^= 1
	forged := &http.Cookie{Name: cookies[0].Name, Value: string(v)}
	c.http.Jar.SetCookies(u, []*http.Cookie{forged})
	if p := c.getNoFollow("/"); p.status != http.StatusFound || p.location != "/public" {
		t.Fatalf("forged session: status %d location %q, want a redirect to /public", p.status, p.location)
	}
}

func TestWebSessionCookieAttributes(t *testing.T) {
	h, _ := newHandler(t)
	w := serve(t, h, req{target: "/login"})
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode || ck[0].Path != "/" {
		t.Fatalf("cookie %+v", ck)
	}
	// A session signed with another secret is not accepted.
	other := mthttp.NewHandler(mthttp.Config{SessionSecret: []byte("other")}, newStore(t))
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(ck[0])
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, r)
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestWebCookies(t *testing.T) {
	base := newWebServer(t)
	t.Run("reading sets no cookie", func(t *testing.T) {
		for _, path := range []string{"/public", "/nobody"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if ck := resp.Header.Values("Set-Cookie"); len(ck) != 0 {
				t.Fatalf("GET %s set %q", path, ck)
			}
		}
	})
	t.Run("flashes are bounded", func(t *testing.T) {
		c := newClient(t, base)
		c.registerAndLogin("fan")
		newClient(t, base).register("idol", "p", "p", "i@x")
		for range 50 {
			if p := c.getNoFollow("/idol/follow"); p.status != http.StatusFound {
				t.Fatalf("status %d", p.status)
			}
		}
		if f := flashes(c.get("/public")); len(f) != 8 || f[7] != "You are now following &#34;idol&#34;" {
			t.Fatalf("flashes %q", f)
		}
	})
}

func TestWebStaticAndErrors(t *testing.T) {
	h, _ := newHandler(t)
	w := serve(t, h, req{target: "/static/style.css"})
	wantStatus(t, w, http.StatusOK)
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") || !strings.Contains(w.Body.String(), ".flashes") {
		t.Fatalf("style.css: %q", w.Header().Get("Content-Type"))
	}
	wantStatus(t, serve(t, h, req{target: "/static/nope.css"}), http.StatusNotFound)
	if w := serve(t, h, req{target: "/static/favicon.svg"}); w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("favicon: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	big := "text=" + strings.Repeat("x", mthttp.MaxBodyBytes+10)
	wantStatus(t, serve(t, h, req{method: "POST", target: "/register", body: big, contentType: "application/x-www-form-urlencoded"}), http.StatusBadRequest)
	wantStatus(t, serve(t, h, req{method: "DELETE", target: "/public"}), http.StatusMethodNotAllowed)
}
