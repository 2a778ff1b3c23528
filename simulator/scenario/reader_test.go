package scenario_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

func TestReaderCourseFile(t *testing.T) {
	f, err := os.Open(testenv.CourseScenario(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := scenario.NewReader(f)
	counts := map[scenario.Command]int{}
	var first, last scenario.Action
	n := 0
	for {
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			first = a
		}
		last = a
		counts[a.Command]++
		n++
	}
	if n != 25922 {
		t.Errorf("read %d actions, want 25922", n)
	}
	want := map[scenario.Command]int{scenario.Register: 200, scenario.Tweet: 11306, scenario.Follow: 9751, scenario.Unfollow: 4665}
	for c, w := range want {
		if counts[c] != w {
			t.Errorf("%s: %d, want %d", c, counts[c], w)
		}
	}
	wantFirst := scenario.Action{ID: 0, Delay: 0, Timestamp: 1582246860738, Command: scenario.Register,
		User: "Roger Histand", Arg: "Roger+Histand@hotmail.com", Password: "]=)[X{Km{z", Line: 1}
	if first != wantFirst {
		t.Errorf("first = %+v, want %+v", first, wantFirst)
	}
	if last.ID != 25921 || last.Command != scenario.Unfollow || last.Arg != "Odessa Redepenning" || last.Line != 25922 {
		t.Errorf("last = %+v", last)
	}
}

func TestReaderMalformedLines(t *testing.T) {
	tests := []struct {
		name string
		line string
		msg  string
	}{
		{"too few fields", "1\t0\t5\ttweet\tbob", "want 6 or 7 tab-separated fields, got 5"},
		{"bad id", "x\t0\t5\ttweet\tbob\thi", `action id "x" is not a non-negative integer`},
		{"negative id", "-3\t0\t5\ttweet\tbob\thi", `action id "-3" is not a non-negative integer`},
		{"bad delay", "1\tsoon\t5\ttweet\tbob\thi", `delay "soon" is not a non-negative integer`},
		{"bad timestamp", "1\t0\tnow\ttweet\tbob\thi", `timestamp "now" is not an integer`},
		{"unknown command", "1\t0\t5\tretweet\tbob\thi", `unknown command "retweet" (want register, tweet, follow or unfollow)`},
		{"register without password", "1\t0\t5\tregister\tbob\tb@x", "register wants 7 fields, got 6"},
		{"tweet with extra field", "1\t0\t5\ttweet\tbob\thi\tthere", "tweet wants 6 fields, got 7"},
		{"empty user", "1\t0\t5\ttweet\t\thi", "empty user name"},
		{"follow nobody", "1\t0\t5\tfollow\tbob\t", "follow without the other user's name"},
		{"invalid utf8", "1\t0\t5\ttweet\tbob\t\xff\xfe", "not valid UTF-8"},
		{"id not increasing", "0\t0\t5\ttweet\tbob\thi", "action id 0 is not greater than the previous 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "0\t0\t1\tregister\tbob\tb@x\tpw\n" + tt.line + "\n2\t0\t7\ttweet\tbob\tafter\n"
			r := scenario.NewReader(strings.NewReader(in))
			if _, err := r.Next(); err != nil {
				t.Fatalf("first line: %v", err)
			}
			_, err := r.Next()
			var pe *scenario.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Line != 2 || pe.Msg != tt.msg {
				t.Errorf("got line %d %q, want line 2 %q", pe.Line, pe.Msg, tt.msg)
			}
			// The reader carries on after a malformed line.
			a, err := r.Next()
			if err != nil || a.Arg != "after" || a.Line != 3 {
				t.Errorf("after the bad line: %+v, %v", a, err)
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("end: %v, want io.EOF", err)
			}
		})
	}
}

func TestReaderLongLineAndLineEndings(t *testing.T) {
	long := "1\t0\t5\ttweet\tbob\t" + strings.Repeat("a", scenario.MaxLineLength+10)
	in := "0\t0\t1\tregister\tbob\tb@x\tp\"w\\\r\n\n" + long + "\n2\t0\t7\ttweet\tbob\tlast"
	r := scenario.NewReader(strings.NewReader(in))
	a, err := r.Next()
	if err != nil || a.Password != `p"w\` {
		t.Fatalf("CRLF line: %+v %v", a, err)
	}
	_, err = r.Next()
	var pe *scenario.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Fatalf("long line: %v", err)
	}
	a, err = r.Next()
	if err != nil || a.Arg != "last" || a.Line != 4 {
		t.Fatalf("line without final newline: %+v %v", a, err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestActionRoundTrip(t *testing.T) {
	a := scenario.Action{ID: 7, Delay: 12, Timestamp: 99, Command: scenario.Register, User: "Zoë Ünal", Arg: "z@x", Password: `"\'`, Line: 1}
	r := scenario.NewReader(strings.NewReader(a.String() + "\n"))
	got, err := r.Next()
	if err != nil || got != a {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name                string
		a                   scenario.Action
		path, query, body   string
		ok204, ok400, ok500 bool
	}{
		{"register", scenario.Action{ID: 0, Command: scenario.Register, User: "Roger Histand", Arg: "r@x", Password: `a"b\<`},
			"/register", "latest=0", `{"username":"Roger Histand","email":"r@x","pwd":"a\"b\\<"}`, true, true, false},
		{"tweet", scenario.Action{ID: 3, Command: scenario.Tweet, User: "Zoë Ünal", Arg: "hi & bye"},
			"/msgs/Zo%C3%AB%20%C3%9Cnal", "latest=3", `{"content":"hi & bye"}`, true, false, false},
		{"follow", scenario.Action{ID: 4, Command: scenario.Follow, User: "a/b", Arg: "c d"},
			"/fllws/a%2Fb", "latest=4", `{"follow":"c d"}`, true, false, false},
		{"unfollow", scenario.Action{ID: 5, Command: scenario.Unfollow, User: "a?b", Arg: "c"},
			"/fllws/a%3Fb", "latest=5", `{"unfollow":"c"}`, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.a.Request()
			if req.Method != "POST" || req.Path != tt.path || req.Query != tt.query || string(req.Body) != tt.body {
				t.Errorf("got %s %s?%s %s", req.Method, req.Path, req.Query, req.Body)
			}
			if got := req.URL("http://h:8081/api/v1/"); got != "http://h:8081/api/v1"+tt.path+"?"+tt.query {
				t.Errorf("URL = %s", got)
			}
			c := tt.a.Command
			if c.Accepts(204) != tt.ok204 || c.Accepts(400) != tt.ok400 || c.Accepts(500) != tt.ok500 {
				t.Errorf("Accepts wrong for %s", c)
			}
		})
	}
}

func FuzzReader(f *testing.F) {
	f.Add("0\t0\t1\tregister\tbob\tb@x\tpw\n1\t5\t6\ttweet\tbob\thello\n")
	f.Add("1\t0\t5\tfollow\tbob\talice\r\n2\t0\t5\tunfollow\tbob\talice")
	f.Add("x\t\t\t\t\t\t\t\t\t\n\n\n")
	f.Fuzz(fuzzReader)
}

func fuzzReader(t *testing.T, in string) {
	r := scenario.NewReader(strings.NewReader(in))
	lines := strings.Count(in, "\n") + 1
	prev := int64(-1)
	// Every call consumes at least one line, so the reader must reach EOF
	// within lines+1 calls.
	for i := 0; i <= lines; i++ {
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var pe *scenario.ParseError
		if errors.As(err, &pe) {
			if pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error line %d out of range 1..%d", pe.Line, lines)
			}
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		if a.ID <= prev {
			t.Fatalf("ids not increasing: %d after %d", a.ID, prev)
		}
		prev = a.ID
		// A parsed action writes back to a line that parses to itself
		// (checked for the first few: each check allocates a reader).
		if i < 8 {
			back, err := scenario.NewReader(strings.NewReader(a.String())).Next()
			a.Line = 1
			if err != nil || back != a {
				t.Fatalf("round trip of %q: %+v, %v", a.String(), back, err)
			}
		}
		_ = a.Request()
	}
	t.Fatal("reader did not reach EOF")
}
