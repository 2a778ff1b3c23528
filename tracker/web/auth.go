package web

import (
	"net/http"
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

func (h *handler) login(w http.ResponseWriter, r *http.Request, o orgReq) {
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
	http.SetCookie(w, tokenCookie(r, o.org, "", -1))
	http.Redirect(w, r, orgURL(o.org), http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect on this org's pages, so the form
// cannot be used to send someone elsewhere.
func safeNext(org, next string) string {
	base := orgURL(org)
	if next == base || strings.HasPrefix(next, base+"/") || strings.HasPrefix(next, base+"?") {
		if !strings.ContainsAny(next, "\\\r\n") && !strings.Contains(next, "/login") {
			return next
		}
	}
	return base
}
