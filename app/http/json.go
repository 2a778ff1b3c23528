package http

import (
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// The simulator API's responses are small and of a few fixed shapes, and
// GET /msgs is the hot path of the course's load, so they are written with
// append-style encoders into pooled buffers rather than through
// reflection.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledBuf is the largest buffer put back into bufPool: a rare large
// answer (1,000 long messages) is left to the garbage collector instead
// of staying resident in the pool.
const maxPooledBuf = 256 << 10

// putBuf returns a buffer to bufPool unless it grew past maxPooledBuf.
func putBuf(bp *[]byte, b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	*bp = b
	bufPool.Put(bp)
}

// writeJSONBytes sends body as a JSON response with the status.
func writeJSONBytes(c *gin.Context, status int, body []byte) {
	c.Data(status, "application/json", body)
}

// writeJSONError sends the simulator API's error shape
// {"status": N, "error_msg": MSG}.
func writeJSONError(c *gin.Context, status int, msg string) {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"error_msg":`...)
	b = appendJSONString(b, msg)
	b = append(b, '}')
	writeJSONBytes(c, status, b)
	putBuf(bp, b)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Like encoding/json it
// escapes <, > and & (so a response is safe to embed in HTML), U+2028 and
// U+2029, and replaces invalid UTF-8 with U+FFFD, so the output is always
// valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
