// Package scenario reads and writes the course's simulator scenario: a TSV
// file with one action per line (register, tweet, follow, unfollow), and maps
// each action to its request against the simulator API. It streams: a file
// of any size is read in constant memory, one action at a time.
package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Authorization is the header value the course's simulator sends with every
// request (base64 of "simulator:super_safe!").
const Authorization = "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh"

// Command is the kind of an action.
type Command uint8

// The four commands of the scenario, in the file's spelling.
const (
	Register Command = iota + 1
	Tweet
	Follow
	Unfollow
)

// Commands lists every command, in a stable order for reports.
var Commands = []Command{Register, Tweet, Follow, Unfollow}

// String returns the command as the file spells it ("register", …).
func (c Command) String() string {
	switch c {
	case Register:
		return "register"
	case Tweet:
		return "tweet"
	case Follow:
		return "follow"
	case Unfollow:
		return "unfollow"
	}
	return "command(" + strconv.Itoa(int(c)) + ")"
}

// ParseCommand parses the file's spelling of a command.
func ParseCommand(s string) (Command, bool) {
	switch s {
	case "register":
		return Register, true
	case "tweet":
		return Tweet, true
	case "follow":
		return Follow, true
	case "unfollow":
		return Unfollow, true
	}
	return 0, false
}

// Accepts reports whether status is a success for the command, as the
// course's simulator judges it: register accepts 204 and 400 (the user
// exists already), every other command only 204.
func (c Command) Accepts(status int) bool {
	if status == 204 {
		return true
	}
	return c == Register && status == 400
}

// Action is one line of the scenario.
type Action struct {
	// ID is the action's id, sent as the latest query parameter.
	ID int64
	// Delay is the pause before the action in the scenario's own unit: the
	// course's simulator sleeps Delay/1e8 seconds; it is also the gap to the
	// previous action's Timestamp in milliseconds.
	Delay int64
	// Timestamp is the action's recorded time, Unix milliseconds.
	Timestamp int64
	// Command is what the action does.
	Command Command
	// User is the acting user's name.
	User string
	// Arg is the email (register), the message text (tweet) or the other
	// user's name (follow, unfollow).
	Arg string
	// Password is register's password, empty otherwise.
	Password string
	// Line is the 1-based line number the action was read from (0 when it
	// did not come from a file).
	Line int
}

// Request is the HTTP request an action maps to, relative to the target's
// base URL.
type Request struct {
	// Method is always POST for scenario actions.
	Method string
	// Path is the path below the base URL, with the user name
	// percent-escaped: "/msgs/Roger%20Histand".
	Path string
	// Query is the encoded query string without "?": "latest=3".
	Query string
	// Body is the JSON body.
	Body []byte
}

// PathQuery returns Path?Query.
func (r Request) PathQuery() string { return r.Path + "?" + r.Query }

// URL returns the request's absolute URL below base (which may carry a path
// prefix such as http://host:8081/api/v1; a trailing slash is ignored).
func (r Request) URL(base string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + r.PathQuery()
}

type registerBody struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Pwd      string `json:"pwd"`
}

type tweetBody struct {
	Content string `json:"content"`
}

type followBody struct {
	Follow string `json:"follow"`
}

type unfollowBody struct {
	Unfollow string `json:"unfollow"`
}

// Request builds the action's request: POST /register, /msgs/<user> or
// /fllws/<user> with latest=ID and the JSON body the course's simulator
// sends.
func (a Action) Request() Request {
	var (
		path string
		body any
	)
	switch a.Command {
	case Register:
		path, body = "/register", registerBody{a.User, a.Arg, a.Password}
	case Tweet:
		path, body = "/msgs/"+url.PathEscape(a.User), tweetBody{a.Arg}
	case Follow:
		path, body = "/fllws/"+url.PathEscape(a.User), followBody{a.Arg}
	case Unfollow:
		path, body = "/fllws/"+url.PathEscape(a.User), unfollowBody{a.Arg}
	default:
		path, body = "/", struct{}{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding plain strings cannot fail (invalid UTF-8 is replaced).
	_ = enc.Encode(body)
	return Request{
		Method: "POST",
		Path:   path,
		Query:  "latest=" + strconv.FormatInt(a.ID, 10),
		Body:   bytes.TrimSuffix(buf.Bytes(), []byte("\n")),
	}
}

// String formats the action as its scenario line (without the newline).
func (a Action) String() string {
	b := a.AppendLine(nil)
	return string(b[:len(b)-1])
}

// AppendLine appends the action's TSV line, newline included, to b.
func (a Action) AppendLine(b []byte) []byte {
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, a.Delay, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, a.Timestamp, 10)
	b = append(b, '\t')
	b = append(b, a.Command.String()...)
	b = append(b, '\t')
	b = append(b, a.User...)
	b = append(b, '\t')
	b = append(b, a.Arg...)
	if a.Command == Register {
		b = append(b, '\t')
		b = append(b, a.Password...)
	}
	return append(b, '\n')
}

// ParseError is a malformed scenario line.
type ParseError struct {
	// Line is the 1-based line number.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error implements error: "scenario line 12: ...".
func (e *ParseError) Error() string {
	return fmt.Sprintf("scenario line %d: %s", e.Line, e.Msg)
}
