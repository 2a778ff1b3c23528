package http

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// The simulator API's fixed messages.
const (
	msgNotAuthorized = "You are not authorized to use this resource!"
	msgNoContent     = "You have to provide the message's content"
	msgNoFollow      = `The body must hold "follow" or "unfollow" with a username`
)

// apiRoutes registers the simulator API. With apiOnly, POST /register
// always speaks JSON; otherwise the web UI shares it.
func (s *server) apiRoutes(r *gin.Engine, apiOnly bool) {
	r.GET("/latest", s.getLatest)
	if apiOnly {
		r.POST("/register", s.apiRegister)
	} else {
		r.POST("/register", s.registerDispatch)
	}
	sim := r.Group("", s.requireSimulator, s.recordLatest)
	sim.GET("/msgs", s.getMsgs)
	sim.GET("/msgs/:username", s.getUserMsgs)
	sim.POST("/msgs/:username", s.postUserMsg)
	sim.GET("/fllws/:username", s.getFollows)
	sim.POST("/fllws/:username", s.postFollows)
}

// registerDispatch sends a form POST /register to the web UI and anything
// else to the simulator API, whose content-type check then answers a clear
// 400 for what is neither.
func (s *server) registerDispatch(c *gin.Context) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" {
		s.web.postRegister(c)
		return
	}
	s.apiRegister(c)
}

// apiError writes err as the API's JSON error with the status from the
// one table, logging internal errors.
// An action refused with a 4xx was processed (it has its answer), so the
// latest it carries is recorded, as the reference's simulator expects;
// its write, if it got that far, committed nothing.
func (s *server) apiError(c *gin.Context, err error) {
	s.logIfInternal(c, err)
	status := statusOf(err, true)
	if n, ok := minitwit.LatestFrom(c.Request.Context()); ok && status >= 400 && status < 500 {
		if lerr := s.store.SetLatest(c.Request.Context(), n); lerr != nil {
			err = fmt.Errorf("record latest %d: %w", n, lerr)
			s.logIfInternal(c, err)
			status = statusOf(err, true)
		}
	}
	writeJSONError(c, status, minitwit.ErrorMessage(err))
	c.Abort()
}

// invalid returns an EINVALID error with the message.
func invalid(format string, args ...any) error {
	return minitwit.Errorf(minitwit.EINVALID, format, args...)
}

// recordLatest reads the `latest` query parameter of a request the
// simulator's authorization admitted (a non-integer value is ignored) and
// records it as the reference's simulator expects, with the action: a
// read records it at once; a write carries it in the request's context,
// so that the store commits it in the same transaction as the write
// (minitwit.WithLatest); a write refused with a 4xx records it in
// apiError. A request refused 403 never gets here, and one the server
// failed (5xx) does not record it: that action was not processed.
func (s *server) recordLatest(c *gin.Context) {
	raw, ok := c.GetQuery("latest")
	if !ok {
		return
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return
	}
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		// The course's own API tests read with latest and check it.
		if err := s.store.SetLatest(c.Request.Context(), n); err != nil {
			s.apiError(c, fmt.Errorf("record latest %d: %w", n, err))
		}
		return
	}
	c.Request = c.Request.WithContext(minitwit.WithLatest(c.Request.Context(), n))
}

// requireSimulator answers 403 unless the request carries the simulator's
// Basic-auth credentials, compared in constant time.
func (s *server) requireSimulator(c *gin.Context) {
	user, pass, ok := c.Request.BasicAuth()
	// Both comparisons always run so that timing does not reveal which
	// half was wrong.
	userOK := subtle.ConstantTimeCompare([]byte(user), s.simUser)
	passOK := subtle.ConstantTimeCompare([]byte(pass), s.simPassword)
	if !ok || userOK&passOK != 1 {
		s.apiError(c, minitwit.Errorf(minitwit.EUNAUTHORIZED, "%s", msgNotAuthorized))
	}
}

// getLatest serves {"latest": N}.
func (s *server) getLatest(c *gin.Context) {
	n, err := s.store.Latest(c.Request.Context())
	if err != nil {
		s.apiError(c, fmt.Errorf("read latest: %w", err))
		return
	}
	b := make([]byte, 0, 32)
	b = append(b, `{"latest":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '}')
	writeJSONBytes(c, http.StatusOK, b)
}

// registerRequest is the body of POST /register.
type registerRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Pwd      string `json:"pwd"`
}

// apiRegister creates a user: 204, or 400 with the first problem in the
// contract's order.
func (s *server) apiRegister(c *gin.Context) {
	s.recordLatest(c)
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		s.apiError(c, err)
		return
	}
	if _, err := s.cfg.Accounts.Register(c.Request.Context(), req.Username, req.Email, req.Pwd); err != nil {
		s.apiError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// decodeJSON reads a JSON object of at most MaxBodyBytes into v, naming
// the problem in an EINVALID error: wrong content type, oversized or
// invalid UTF-8 body, malformed JSON, wrong field types.
func decodeJSON(c *gin.Context, v any) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		return invalid("The Content-Type must be application/json, not %q", c.GetHeader("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return invalid("The request body is too large (at most %d bytes)", MaxBodyBytes)
		}
		return invalid("The request body could not be read: %v", err)
	}
	if !utf8.Valid(body) {
		return invalid("The request body is not valid UTF-8")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return invalid("Invalid JSON body: field %q must be a %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &te):
			return invalid("Invalid JSON body: expected an object, not %s", te.Value)
		case errors.As(err, &se):
			return invalid("Malformed JSON body at byte %d: %v", se.Offset, se)
		default:
			return invalid("Malformed JSON body: %v", err)
		}
	}
	return nil
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "ptr", "string":
		return "string"
	case "int64", "int", "float64":
		return "number"
	}
	return kind
}

// userParam returns the user named by the :username path parameter, as
// userNamed does.
func (s *server) userParam(c *gin.Context) (minitwit.User, error) {
	return s.userNamed(c, c.Param("username"))
}

// userNamed returns the user with that name: 400 for a name no user can
// have, 404 for an unknown one.
func (s *server) userNamed(c *gin.Context, name string) (minitwit.User, error) {
	if err := minitwit.CheckText("username", name, MaxUsernameLen); err != nil {
		return minitwit.User{}, err
	}
	u, err := s.store.UserByName(c.Request.Context(), name)
	if err != nil {
		if minitwit.ErrorCode(err) == minitwit.ENOTFOUND {
			return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %q", name)
		}
		return minitwit.User{}, fmt.Errorf("look up user %q: %w", name, err)
	}
	return u, nil
}

// parseNo reads the `no` query parameter: DefaultNo when absent, clamped
// to MaxNo, 400 when not a non-negative integer.
func parseNo(c *gin.Context) (int, error) {
	raw, ok := c.GetQuery("no")
	if !ok {
		return DefaultNo, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(raw, "-") {
			return MaxNo, nil
		}
		return 0, invalid("The parameter no must be a non-negative integer, not %q", raw)
	}
	return int(min(n, MaxNo)), nil
}

// getMsgs serves the public timeline.
func (s *server) getMsgs(c *gin.Context) {
	no, err := parseNo(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	var msgs []minitwit.Message
	if no > 0 {
		msgs, err = s.store.PublicTimeline(c.Request.Context(), minitwit.Page{Limit: no})
		if err != nil {
			s.apiError(c, fmt.Errorf("public timeline: %w", err))
			return
		}
	}
	writeMessages(c, msgs)
}

// getUserMsgs serves one user's messages.
func (s *server) getUserMsgs(c *gin.Context) {
	no, err := parseNo(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	u, err := s.userParam(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	var msgs []minitwit.Message
	if no > 0 {
		msgs, err = s.store.UserTimeline(c.Request.Context(), u.ID, minitwit.Page{Limit: no})
		if err != nil {
			s.apiError(c, fmt.Errorf("timeline of %q: %w", u.Username, err))
			return
		}
	}
	writeMessages(c, msgs)
}

// writeMessages sends messages as the reference's array of
// {"content", "pub_date", "user"}, pub_date in Unix seconds.
func writeMessages(c *gin.Context, msgs []minitwit.Message) {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"content":`...)
		b = appendJSONString(b, m.Text)
		b = append(b, `,"pub_date":`...)
		b = strconv.AppendInt(b, m.PubDate.Unix(), 10)
		b = append(b, `,"user":`...)
		b = appendJSONString(b, m.Author)
		b = append(b, '}')
	}
	b = append(b, ']')
	writeJSONBytes(c, http.StatusOK, b)
	putBuf(bp, b)
}

// messageRequest is the body of POST /msgs/<username>.
type messageRequest struct {
	Content *string `json:"content"`
}

// postUserMsg posts a message as the user.
func (s *server) postUserMsg(c *gin.Context) {
	var req messageRequest
	if err := decodeJSON(c, &req); err != nil {
		s.apiError(c, err)
		return
	}
	if req.Content == nil {
		s.apiError(c, invalid("%s", msgNoContent))
		return
	}
	if err := minitwit.ValidateMessage(*req.Content); err != nil {
		s.apiError(c, err)
		return
	}
	u, err := s.userParam(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	if _, err := s.store.AddMessage(c.Request.Context(), u.ID, *req.Content, s.cfg.Now()); err != nil {
		s.apiError(c, fmt.Errorf("add message by %q: %w", u.Username, err))
		return
	}
	c.Status(http.StatusNoContent)
}

// getFollows serves {"follows": [names]}: whom the user follows.
func (s *server) getFollows(c *gin.Context) {
	no, err := parseNo(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	u, err := s.userParam(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	var names []string
	if no > 0 {
		names, err = s.store.Following(c.Request.Context(), u.ID, no)
		if err != nil {
			s.apiError(c, fmt.Errorf("follows of %q: %w", u.Username, err))
			return
		}
	}
	b := make([]byte, 0, 64+len(names)*24)
	b = append(b, `{"follows":[`...)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
	}
	b = append(b, "]}"...)
	writeJSONBytes(c, http.StatusOK, b)
}

// followRequest is the body of POST /fllws/<username>.
type followRequest struct {
	Follow   *string `json:"follow"`
	Unfollow *string `json:"unfollow"`
}

// postFollows makes the user follow or unfollow another.
func (s *server) postFollows(c *gin.Context) {
	var req followRequest
	if err := decodeJSON(c, &req); err != nil {
		s.apiError(c, err)
		return
	}
	target := req.Follow
	if target == nil {
		target = req.Unfollow
	}
	if target == nil {
		s.apiError(c, invalid("%s", msgNoFollow))
		return
	}
	who, err := s.userParam(c)
	if err != nil {
		s.apiError(c, err)
		return
	}
	whom, err := s.userNamed(c, *target)
	if err != nil {
		s.apiError(c, err)
		return
	}
	ctx := c.Request.Context()
	if req.Follow != nil {
		err = s.store.Follow(ctx, who.ID, whom.ID)
	} else {
		err = s.store.Unfollow(ctx, who.ID, whom.ID)
	}
	if err != nil {
		s.apiError(c, fmt.Errorf("follow %q -> %q: %w", who.Username, whom.Username, err))
		return
	}
	c.Status(http.StatusNoContent)
}
