package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/model"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	model.EINVALID:      http.StatusBadRequest,
	model.EUNAUTHORIZED: http.StatusUnauthorized,
	model.EFORBIDDEN:    http.StatusForbidden,
	model.ENOTFOUND:     http.StatusNotFound,
	model.ECONFLICT:     http.StatusConflict,
	model.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	model.EINTERNAL:     http.StatusInternalServerError,
}

// fail writes err as {"message": …} with its code's status. Internal
// errors are logged with the request and shown as a plain message. When
// the handler did not read the request's body (a 401 before it, a body
// cut off), the connection is closed after the answer rather than drained.
func (s *srv) fail(c *gin.Context, err error) {
	err = s.classify(err)
	code := model.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := model.ErrorMessage(err)
	var se *statusError
	if errors.As(err, &se) {
		status, msg = se.status, se.msg
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "internal error", slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path), slog.Any("err", err))
	}
	if unreadBody(c) {
		c.Header("Connection", "close")
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, api.Error{Message: msg})
}

// classify turns transport errors (an oversized, slow or cut-short body)
// into errors a client can act on, with a 4xx status.
func (s *srv) classify(err error) error {
	if be := bodyError(err, s.opts.BodyReadTimeout); be != nil {
		return be
	}
	return err
}

// writeJSON streams v as the JSON response. Streaming rather than gin's
// c.JSON (marshal to a buffer, then copy) saves a large allocation on
// every snapshot and diff, which are hundreds of KB.
func writeJSON(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/json; charset=utf-8")
	c.Status(status)
	if err := json.NewEncoder(c.Writer).Encode(v); err != nil {
		// The status is sent; all that is left is to tell the log.
		_ = c.Error(err)
	}
}

// decodeJSON reads the (capped) body into v, mapping every failure to an
// error naming the problem (fail classifies a failed read).
func decodeJSON(body io.Reader, what string, v any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	return unmarshal(data, what, v)
}

// jsonKind names a Go type the way a JSON user thinks of it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}

func unmarshal(data []byte, what string, v any) error {
	if len(data) == 0 {
		return model.Errorf(model.EINVALID, "%s: empty body, want a JSON object", what)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return model.Errorf(model.EINVALID, "%s: must be %s, got a JSON %s", what, jsonKind(te.Type), te.Value)
			}
			return model.Errorf(model.EINVALID, "%s: field %q must be %s, got a JSON %s", what, te.Field, jsonKind(te.Type), te.Value)
		}
		return model.Errorf(model.EINVALID, "%s: invalid JSON: %v", what, err)
	}
	return nil
}
