// Package client is the Go client of the tracker's HTTP API (the /api/v2
// subset shared with Kosli). The tracker CLI and the pipeline use it. It
// never logs or exits: a failed call returns an error, and an error the
// server answered with is an *Error carrying the HTTP status and the
// server's message.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds every request, so an unreachable or stuck server
// gives an error instead of a hang.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes bounds what the client reads of one response.
const maxResponseBytes = 64 << 20

// Error is an error answer of the server: its HTTP status and the message
// of its {"message": …} body.
type Error struct {
	Method  string
	URL     string
	Status  int
	Message string
}

// Error implements error as one line: the server's message and its status.
func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, http.StatusText(e.Status))
}

// StatusCode returns the HTTP status of the *Error in err's chain, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// ErrUnreachable wraps failures to reach the server at all (refused,
// unknown host, timeout), so callers can tell them from server answers.
var ErrUnreachable = errors.New("tracker server unreachable")

// Client talks to one tracker server as one org.
type Client struct {
	host  *url.URL
	org   string
	token string
	http  *http.Client
	ua    string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (its timeout then applies).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout sets the per-request timeout (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.http = &http.Client{Timeout: d, Transport: c.http.Transport} }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// New returns a client of the server at host (e.g. http://localhost:8080)
// acting for org with token (which may be empty for anonymous reads).
func New(host, org, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(host, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid host %q: want http(s)://HOST[:PORT]", host)
	}
	c := &Client{host: u, org: org, token: token, http: &http.Client{Timeout: DefaultTimeout}, ua: "tracker-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Host returns the server's base URL.
func (c *Client) Host() string { return c.host.String() }

// Org returns the org the client acts for.
func (c *Client) Org() string { return c.org }

// URL builds the absolute URL of an API path from unescaped segments
// (each is path-escaped, so "aws-prod#65" stays one segment).
func (c *Client) URL(query url.Values, segments ...string) string {
	u := *c.host
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	raw := strings.TrimRight(c.host.EscapedPath(), "/") + "/" + strings.Join(escaped, "/")
	if p, err := url.PathUnescape(raw); err == nil {
		u.Path = p
	}
	u.RawPath = raw
	u.RawQuery = ""
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String()
}

// Request is a request as it would be sent, for --dry-run output.
type Request struct {
	Method      string
	URL         string
	ContentType string
	Body        []byte
}

// JSONRequest builds a request with a JSON body (nil body for none).
func (c *Client) JSONRequest(method, rawURL string, body any) (Request, error) {
	r := Request{Method: method, URL: rawURL}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Request{}, fmt.Errorf("encode %s %s: %w", method, rawURL, err)
		}
		r.Body = b
		r.ContentType = "application/json"
	}
	return r, nil
}

// File is a file part of a multipart request.
type File struct {
	Field    string
	Name     string
	Content  []byte
	MIMEType string
}

// MultipartRequest builds a multipart/form-data request with a data_json
// part (Kosli's convention) and optional files.
func (c *Client) MultipartRequest(method, rawURL string, data any, files ...File) (Request, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	b, err := json.Marshal(data)
	if err != nil {
		return Request{}, fmt.Errorf("encode data_json: %w", err)
	}
	if err := w.WriteField("data_json", string(b)); err != nil {
		return Request{}, err
	}
	for _, f := range files {
		part, err := w.CreateFormFile(f.Field, f.Name)
		if err != nil {
			return Request{}, err
		}
		if _, err := part.Write(f.Content); err != nil {
			return Request{}, err
		}
	}
	if err := w.Close(); err != nil {
		return Request{}, err
	}
	return Request{Method: method, URL: rawURL, ContentType: w.FormDataContentType(), Body: buf.Bytes()}, nil
}

// Do sends r and decodes a JSON answer into out (when out is not nil). It
// returns the status code. A 4xx/5xx answer is an *Error.
func (c *Client) Do(ctx context.Context, r Request, out any) (int, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", r.Method, r.URL, err)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, unreachable(c.host.String(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read response: %w", r.Method, r.URL, unreachable(c.host.String(), err))
	}
	if resp.StatusCode >= 400 {
		return resp.StatusCode, &Error{Method: r.Method, URL: r.URL, Status: resp.StatusCode, Message: errorMessage(resp.StatusCode, raw)}
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode response: %w", r.Method, r.URL, err)
		}
	}
	return resp.StatusCode, nil
}

// errorMessage extracts {"message": …}; other bodies are summarized so the
// error stays one line.
func errorMessage(status int, raw []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Message != "" {
		return oneLine(m.Message)
	}
	s := oneLine(string(raw))
	if s == "" {
		return http.StatusText(status)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func unreachable(host string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%w: unknown host %s", ErrUnreachable, dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%w: %s did not answer in time", ErrUnreachable, host)
	case errors.Is(err, context.Canceled):
		return err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Errorf("%w: cannot connect to %s: %w", ErrUnreachable, host, opErr.Err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, host, err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
