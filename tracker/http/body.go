package http

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/model"
)

// bodyKey is where guardBody keeps the request's *guardedBody.
const bodyKey = "tracker.body"

// guardBody caps a request's body at MaxBodyBytes and bounds the time to
// receive it at BodyReadTimeout, counted from the moment the handler
// starts. A slow client is cut off with 408 however slowly it sends; the
// deadline is lifted once the body is read, so a long handler (a large
// snapshot) is not. A handler may refuse a request (401) without reading
// its body: fail then closes the connection instead of letting net/http
// read up to 256 KB of it first.
func (s *srv) guardBody(c *gin.Context) {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		c.Next()
		return
	}
	b := &guardedBody{ReadCloser: http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes),
		rc: http.NewResponseController(c.Writer), timeout: s.opts.BodyReadTimeout}
	// Without deadline support (a test's recorder) the body is only capped.
	b.armed = b.rc.SetReadDeadline(time.Now().Add(b.timeout)) == nil
	c.Request.Body = b
	c.Set(bodyKey, b)
	c.Next()
	b.disarm()
}

// guardedBody is a capped request body that knows whether it was read to
// the end and lifts the read deadline when it was.
type guardedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	armed   bool
	done    bool
}

func (b *guardedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done = true
		b.disarm()
	}
	return n, err
}

func (b *guardedBody) disarm() {
	if b.armed {
		b.armed = false
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}

// unreadBody reports whether the request has a body its handler did not
// read to the end.
func unreadBody(c *gin.Context) bool {
	v, ok := c.Get(bodyKey)
	if !ok {
		return false
	}
	b, ok := v.(*guardedBody)
	return ok && !b.done
}

// statusError is a transport failure with its own status, outside the
// model's codes: 408 for a body that did not arrive in time.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// bodyError classifies an error from reading a request body: nil when it
// is none of the client-side failures (too large, too slow, cut short).
func bodyError(err error, timeout time.Duration) error {
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return model.Errorf(model.ETOOLARGE, "request body too large: the limit is %d bytes", mb.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &statusError{status: http.StatusRequestTimeout, msg: fmt.Sprintf("request body not received within %s", timeout)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, http.ErrBodyReadAfterClose):
		return model.Errorf(model.EINVALID, "request body incomplete: the client closed the connection before sending all of it")
	}
	return nil
}
