package scenario

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// MaxLineLength is the longest scenario line the Reader accepts; a longer
// line is a *ParseError (and is skipped), so a corrupt file cannot make the
// reader buffer without bound.
const MaxLineLength = 128 << 10

// Reader reads actions from a scenario stream, one line at a time, in
// constant memory.
type Reader struct {
	r      *bufio.Reader
	line   int
	lastID int64
	seen   bool
	err    error // sticky I/O error
}

// NewReader returns a Reader reading the TSV scenario from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, MaxLineLength)}
}

// Line returns the number of lines read so far.
func (r *Reader) Line() int { return r.line }

// Next returns the next action. At the end of the stream it returns io.EOF.
// A malformed line yields a *ParseError naming the line; the reader then
// continues with the following line on the next call. Empty lines are
// skipped. Any other error is the underlying reader's, and is returned
// again on every later call.
func (r *Reader) Next() (Action, error) {
	for {
		if r.err != nil {
			return Action{}, r.err
		}
		raw, err := r.r.ReadSlice('\n')
		if len(raw) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
			} else {
				r.err = err
			}
			return Action{}, r.err
		}
		r.line++
		if errors.Is(err, bufio.ErrBufferFull) {
			// Skip the rest of the oversized line.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.r.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				r.err = err
			}
			return Action{}, &ParseError{Line: r.line, Msg: "line longer than " + strconv.Itoa(MaxLineLength) + " bytes"}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			r.err = err
			return Action{}, err
		}
		// A line ends at its newline; carriage returns before it (CRLF,
		// or a stray extra one) end it too. With no quoting in the format
		// a last field cannot end in one, so the line writes back as read.
		raw = bytes.TrimSuffix(raw, []byte("\n"))
		raw = bytes.TrimRight(raw, "\r")
		if len(raw) == 0 {
			continue
		}
		a, perr := r.parse(raw)
		if perr != nil {
			return Action{}, perr
		}
		return a, nil
	}
}

func (r *Reader) fail(msg string) *ParseError {
	return &ParseError{Line: r.line, Msg: msg}
}

// parse splits one line (without its newline) into an Action.
func (r *Reader) parse(raw []byte) (Action, *ParseError) {
	if !utf8.Valid(raw) {
		return Action{}, r.fail("not valid UTF-8")
	}
	var f [8][]byte
	n := 0
	for n < len(f) {
		i := bytes.IndexByte(raw, '\t')
		if i < 0 {
			f[n] = raw
			n++
			break
		}
		f[n] = raw[:i]
		raw = raw[i+1:]
		n++
		if n == len(f) {
			break // more fields than any command has
		}
	}
	if n < 6 {
		return Action{}, r.fail("want 6 or 7 tab-separated fields, got " + strconv.Itoa(n))
	}
	a := Action{Line: r.line}
	var err error
	if a.ID, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil || a.ID < 0 {
		return Action{}, r.fail("action id " + strconv.Quote(string(f[0])) + " is not a non-negative integer")
	}
	if r.seen && a.ID <= r.lastID {
		return Action{}, r.fail("action id " + strconv.FormatInt(a.ID, 10) + " is not greater than the previous " + strconv.FormatInt(r.lastID, 10))
	}
	if a.Delay, err = strconv.ParseInt(string(f[1]), 10, 64); err != nil || a.Delay < 0 {
		return Action{}, r.fail("delay " + strconv.Quote(string(f[1])) + " is not a non-negative integer")
	}
	if a.Timestamp, err = strconv.ParseInt(string(f[2]), 10, 64); err != nil {
		return Action{}, r.fail("timestamp " + strconv.Quote(string(f[2])) + " is not an integer")
	}
	var ok bool
	if a.Command, ok = ParseCommand(string(f[3])); !ok {
		return Action{}, r.fail("unknown command " + strconv.Quote(string(f[3])) + " (want register, tweet, follow or unfollow)")
	}
	want := 6
	if a.Command == Register {
		want = 7
	}
	if n != want {
		return Action{}, r.fail(a.Command.String() + " wants " + strconv.Itoa(want) + " fields, got " + strconv.Itoa(n))
	}
	if len(f[4]) == 0 {
		return Action{}, r.fail("empty user name")
	}
	a.User = string(f[4])
	a.Arg = string(f[5])
	switch a.Command {
	case Register:
		a.Password = string(f[6])
	case Follow, Unfollow:
		if len(f[5]) == 0 {
			return Action{}, r.fail(a.Command.String() + " without the other user's name")
		}
	}
	r.lastID, r.seen = a.ID, true
	return a, nil
}
