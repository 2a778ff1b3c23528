// Package web is the tracker's server-rendered web UI: an org's flows, a
// flow's artifacts and DORA metrics, an artifact's history as a timeline,
// an environment's snapshots and replicas over time, one snapshot's running
// artifacts (blue-green deployments side by side) and the diff of two
// snapshots. Pages are html/template with one embedded stylesheet and
// inline SVG charts: no script, no CDN, nothing fetched from elsewhere.
//
// Anyone may see an org's public flows and public environments (inside
// those, only the public flows' artifacts); private flows and environments
// (and artifacts that belong to no public flow) need the org's API token,
// which the sign-in form keeps in an HttpOnly cookie scoped to that org's
// pages. A private flow or environment is a 404 like a missing one, the
// same rule the API follows.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/minitwit-cd/kit/internal/buildinfo"
	"github.com/minitwit-cd/kit/tracker/model"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// Config configures the UI. The zero value works: logs are discarded and
// the clock is time.Now.
type Config struct {
	// Logger receives internal errors (a store failure behind a page);
	// users only ever see a generic message for those.
	Logger *slog.Logger
	// Now is the clock used for "3 hours ago" and metric windows.
	Now func() time.Time
}

// handler serves every page; it holds no per-request state.
type handler struct {
	store model.Store
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// pageNames are the templates that render a whole page inside the layout.
var pageNames = []string{"error", "home", "login", "org", "flow", "artifact", "environment", "snapshot", "diff"}

// New returns the UI's handler over store. It serves /, /static/ and
// /ui/{org}/…; any other path gets the UI's 404 page, so the server can
// mount it as the fallback for every route its API does not own.
func New(store model.Store, opts Config) http.Handler {
	h := &handler{store: store, log: opts.Logger, now: opts.Now}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.pages = parsePages(h.funcs())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/style.css", serveCSS)
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /ui/{$}", h.home)
	mux.HandleFunc("GET /ui/{org}", h.withOrg(h.orgPage))
	mux.HandleFunc("GET /ui/{org}/{$}", h.withOrg(h.orgPage))
	mux.HandleFunc("GET /ui/{org}/login", h.withOrg(h.loginForm))
	mux.HandleFunc("POST /ui/{org}/login", h.withOrg(h.login))
	mux.HandleFunc("POST /ui/{org}/logout", h.withOrg(h.logout))
	mux.HandleFunc("GET /ui/{org}/flows/{flow}", h.withOrg(h.flowPage))
	mux.HandleFunc("GET /ui/{org}/flows/{flow}/artifacts/{fingerprint}", h.withOrg(h.artifactPage))
	mux.HandleFunc("GET /ui/{org}/flows/{flow}/attestations/{id}/{name}", h.withOrg(h.attachment))
	mux.HandleFunc("GET /ui/{org}/environments/{env}", h.withOrg(h.environmentPage))
	mux.HandleFunc("GET /ui/{org}/environments/{env}/snapshots/{ref}", h.withOrg(h.snapshotPage))
	mux.HandleFunc("GET /ui/{org}/diff", h.withOrg(h.diffPage))
	mux.HandleFunc("/", h.notFoundPage)
	h.mux = mux
	return h
}

// ServeHTTP sets the headers every page shares and dispatches.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Nothing on these pages comes from elsewhere, so the policy can be
	// strict: it also keeps any injected markup inert.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	// Explicit: behind gin's NoRoute the default status would be 404.
	w.WriteHeader(http.StatusOK)
	w.Write(styleCSS)
}

func parsePages(funcs template.FuncMap) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// crumb is one step of the breadcrumb trail above a page's title.
type crumb struct {
	Name string
	URL  string
}

// page is what the layout needs; Data is the page's own view.
type page struct {
	Title   string
	Org     string
	Authed  bool
	Path    string
	Crumbs  []crumb
	Now     time.Time
	Version string
	Data    any
}

// orgReq is a request scoped to an existing org, with whether the viewer
// holds the org's token.
type orgReq struct {
	org    string
	authed bool
}

// withOrg checks that the org in the path exists (404 page otherwise) and
// works out who is looking before calling next.
func (h *handler) withOrg(next func(http.ResponseWriter, *http.Request, orgReq)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org := r.PathValue("org")
		if _, err := h.store.FindOrg(r.Context(), org); err != nil {
			h.fail(w, r, orgReq{}, err)
			return
		}
		next(w, r, orgReq{org: org, authed: h.authed(w, r, org)})
	}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 page instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if p.Now.IsZero() {
		p.Now = h.now()
	}
	p.Path = r.URL.RequestURI()
	p.Version = buildinfo.Get().Version
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errorView is the body of the error page.
type errorView struct {
	Heading string
	Message string
}

// statusOf maps a model error code to the page's status: the UI's copy of
// the server's table, because a page is not an API response.
var statusOf = map[string]int{
	model.ENOTFOUND:     http.StatusNotFound,
	model.EINVALID:      http.StatusBadRequest,
	model.ECONFLICT:     http.StatusConflict,
	model.EUNAUTHORIZED: http.StatusUnauthorized,
	model.EFORBIDDEN:    http.StatusForbidden,
	model.ETOOLARGE:     http.StatusRequestEntityTooLarge,
}

// fail renders err as an error page: a model error's message with its
// status, anything else logged and shown as a generic 500.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, o orgReq, err error) {
	status, ok := statusOf[model.ErrorCode(err)]
	msg := model.ErrorMessage(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			return
		}
		status = http.StatusInternalServerError
		h.log.ErrorContext(r.Context(), "web page", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on our side; the error was logged."
	}
	h.render(w, r, status, "error", page{
		Title: http.StatusText(status), Org: o.org, Authed: o.authed,
		Data: errorView{Heading: fmt.Sprintf("%d %s", status, http.StatusText(status)), Message: msg},
	})
}

func (h *handler) notFoundPage(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, orgReq{}, model.Errorf(model.ENOTFOUND, "page %s not found", r.URL.Path))
}

// URL builders: every name is path-escaped, so a name with ':' or '.'
// round-trips through the mux.

func orgURL(org string) string { return "/ui/" + url.PathEscape(org) }

func flowURL(org, flow string) string { return orgURL(org) + "/flows/" + url.PathEscape(flow) }

func artifactURL(org, flow, fp string) string {
	return flowURL(org, flow) + "/artifacts/" + url.PathEscape(fp)
}

func attachmentURL(org, flow string, id int64, name string) string {
	return flowURL(org, flow) + "/attestations/" + strconv.FormatInt(id, 10) + "/" + url.PathEscape(name)
}

func envURL(org, env string) string { return orgURL(org) + "/environments/" + url.PathEscape(env) }

func snapshotURL(org, env string, index int) string {
	return fmt.Sprintf("%s/snapshots/%d", envURL(org, env), index)
}

func diffURL(org, a, b string) string {
	return orgURL(org) + "/diff?" + url.Values{"a": {a}, "b": {b}}.Encode()
}
