package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/api"
)

func TestURLEscapesSegments(t *testing.T) {
	c, err := New("http://127.0.0.1:8080/base/", "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	got := c.URL(nil, "api", "v2", "snapshots", "acme", "aws-prod", "#65")
	if want := "http://127.0.0.1:8080/base/api/v2/snapshots/acme/aws-prod/%2365"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}

func TestNewRejectsBadHost(t *testing.T) {
	for _, h := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := New(h, "o", ""); err == nil || !strings.Contains(err.Error(), "invalid host") {
			t.Errorf("New(%q) err = %v, want invalid host", h, err)
		}
	}
}

func TestErrorsAreTypedAndOneLine(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/api/v2/flows/acme/missing":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"flow missing not found in org acme"}`)
		case "/api/v2/flows/acme/html":
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>\n<body>bad gateway</body>\n</html>")
		default:
			io.WriteString(w, `{"name":"runner","description":"d","visibility":"public","template":[],"tags":{}}`)
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, "acme", "secret")
	ctx := context.Background()

	f, err := c.GetFlow(ctx, "runner")
	if err != nil || f.Name != "runner" || gotAuth != "Bearer secret" {
		t.Fatalf("GetFlow = %+v, %v (auth %q)", f, err, gotAuth)
	}
	_, err = c.GetFlow(ctx, "missing")
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || e.Message != "flow missing not found in org acme" {
		t.Fatalf("err = %#v, want *Error 404 with the server's message", err)
	}
	if StatusCode(err) != 404 || strings.Contains(err.Error(), "\n") {
		t.Errorf("StatusCode = %d, Error() = %q", StatusCode(err), err.Error())
	}
	_, err = c.GetFlow(ctx, "html")
	if StatusCode(err) != 502 || strings.Contains(err.Error(), "\n") {
		t.Errorf("non-JSON error: %q, want one line with status 502", err)
	}
}

func TestUnreachableAndTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	c, _ := New("http://"+addr, "acme", "")
	err = c.Ready(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("refused: err = %v", err)
	}

	// An unknown host, without asking a real resolver (tests stay on
	// loopback): the error a failed lookup gives.
	dnsErr := &url.Error{Op: "Get", URL: "http://nowhere/ready", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Name: "nowhere", Err: "no such host", IsNotFound: true}}}
	if err := unreachable("http://nowhere", dnsErr); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "unknown host nowhere") {
		t.Errorf("unknown host: err = %v", err)
	}

	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(block)
	c, _ = New(slow.URL, "acme", "", WithTimeout(200*time.Millisecond))
	if err := c.Ready(context.Background()); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "in time") {
		t.Errorf("timeout: err = %v", err)
	}
}

func TestRequestsForDryRun(t *testing.T) {
	c, _ := New("http://h", "acme", "")
	r, err := c.ReportSnapshotRequest("aws-prod", "docker", api.SnapshotReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "PUT" || r.URL != "http://h/api/v2/environments/acme/aws-prod/report/docker" || string(r.Body) != `{"artifacts":[]}` {
		t.Errorf("request = %s %s %s", r.Method, r.URL, r.Body)
	}
	r, err = c.AttestRequest("runner", "16d9990", "generic", api.AttestationData{AttestationName: "branch-coverage"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.ContentType, "multipart/form-data") || !strings.Contains(string(r.Body), `name="data_json"`) {
		t.Errorf("attest request: %s %s", r.ContentType, r.Body)
	}
}
