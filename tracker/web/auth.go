package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// cookieName holds an org's API token for the UI. Its Path is the org's
// pages, so each org's token is only ever sent to that org's pages.
const cookieName = "tracker_token"

// sessionTTL bounds how long a browser keeps a token: long enough for a
// working day, short enough that a forgotten browser stops showing
// private flows.
const sessionTTL = 12 * time.Hour

// authed reports whether the request carries a valid token for org, from
// the sign-in cookie or an Authorization: Bearer header (for curl). A
// cookie that no longer validates (the token was revoked) is cleared.
func (h *handler) authed(w http.ResponseWriter, r *http.Request, org string) bool {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
		return h.store.Authenticate(r.Context(), org, tok) == nil
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return false
	}
	if err := h.store.Authenticate(r.Context(), org, c.Value); err != nil {
		if model.ErrorCode(err) == model.EINTERNAL {
			h.log.ErrorContext(r.Context(), "web authenticate", "org", org, "err", err)
			return false
		}
		http.SetCookie(w, tokenCookie(r, org, "", -1))
		return false
	}
	return true
}

func tokenCookie(r *http.Request, org, token string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     orgURL(org),
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
		// Strict: a page elsewhere can neither read the token nor make a
		// signed-in request (sign-out included) on the viewer's behalf.
		SameSite: http.SameSiteStrictMode,
	}
}

// loginView is the body of the sign-in page.
type loginView struct {
	Next  string
	Error string
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request, o orgReq) {
	h.render(w, r, http.StatusOK, "login", page{
		Title: "Sign in to " + o.org, Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: "sign in"}},
		Data:   loginView{Next: safeNext(o.org, r.URL.Query().Get("next"))},
	})
}

// maxFormBytes bounds the sign-in form: a token is 68 characters.
const maxFormBytes = 4 << 10

// crossOrigin refuses a form posted from another site: a sign-in there
// would plant the attacker's token in the victim's browser (login CSRF).
// Requests without Origin or Sec-Fetch-Site (curl, scripts) pass.
var crossOrigin = http.NewCrossOriginProtection()

// refuseCrossOrigin answers 403 when r was posted from another site.
func (h *handler) refuseCrossOrigin(w http.ResponseWriter, r *http.Request, o orgReq) bool {
	if crossOrigin.Check(r) == nil {
		return false
	}
	h.fail(w, r, o, model.Errorf(model.EFORBIDDEN, "this form was posted from another site; sign in from the tracker's own page"))
	return true
}

func (h *handler) login(w http.ResponseWriter, r *http.Request, o orgReq) {
	if h.refuseCrossOrigin(w, r, o) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, o, model.Errorf(model.EINVALID, "sign-in form: %v", err))
		return
	}
	next := safeNext(o.org, r.PostForm.Get("next"))
	token := strings.TrimSpace(r.PostForm.Get("token"))
	err := h.store.Authenticate(r.Context(), o.org, token)
	if token == "" || err != nil {
		if err != nil && model.ErrorCode(err) == model.EINTERNAL {
			h.fail(w, r, o, err)
			return
		}
		h.render(w, r, http.StatusUnauthorized, "login", page{
			Title: "Sign in to " + o.org, Org: o.org,
			Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: "sign in"}},
			Data:   loginView{Next: next, Error: "That is not an API token of " + o.org + "."},
		})
		return
	}
	http.SetCookie(w, tokenCookie(r, o.org, token, int(sessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, o orgReq) {
	if h.refuseCrossOrigin(w, r, o) {
		return
	}
	http.SetCookie(w, tokenCookie(r, o.org, "", -1))
	http.Redirect(w, r, orgURL(o.org), http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this org's pages, so the form
// cannot be used to send someone elsewhere. The path is cleaned first
// (dot segments, percent-encoded or not, resolved as a browser would), so
// /ui/ORG/../../evil cannot pass for one of the org's pages.
func safeNext(org, next string) string {
	base := orgURL(org)
	if next == "" || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "/login") {
		return base
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return base
	}
	clean := path.Clean(u.Path)
	root := "/ui/" + org
	if clean != root && !strings.HasPrefix(clean, root+"/") {
		return base
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}
