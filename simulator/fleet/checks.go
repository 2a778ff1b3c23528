package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/replay"
)

// Check classes of an answer to GET /latest.
const (
	ClassOK          = "ok"
	ClassNotEmpty    = "not empty"
	ClassWrongStatus = "wrong status"
	ClassGarbage     = "garbage"
	ClassUnreachable = "unreachable"
	ClassMismatch    = "mismatch"
	ClassMissing     = "missing"
)

// PrestartCheck asks the group's GET /latest before the fleet starts and
// classifies the answer: ok (-1, an empty database), not empty (another
// number: the group has data from an earlier run), wrong status (a 404
// page, a 500), garbage (a bare `0`, Python's `{'latest': 700}`, HTML)
// or unreachable.
func PrestartCheck(ctx context.Context, g Group, budget time.Duration) store.Check {
	c := store.Check{Group: g.ID, At: time.Now().UTC(), Kind: "prestart", Value: -2, Want: -1}
	eng, err := replay.New(g.API, replay.WithTimeout(budget))
	if err != nil {
		c.Class, c.Detail = ClassUnreachable, err.Error()
		return c
	}
	defer eng.Close()
	v, class, detail := latestOf(ctx, eng)
	c.Value, c.Class, c.Detail = v, class, detail
	if class == ClassOK && v != -1 {
		c.Class = ClassNotEmpty
		c.Detail = fmt.Sprintf("/latest is %d, not -1: the group's database holds an earlier run", v)
	}
	c.OK = c.Class == ClassOK
	return c
}

// latestOf reads and classifies GET /latest: the value (-2 when there is
// none), ClassOK for a well-formed answer, or another class and why.
func latestOf(ctx context.Context, eng *replay.Engine) (int64, string, string) {
	status, body, err := eng.Get(ctx, "/latest")
	if err != nil {
		return -2, ClassUnreachable, err.Error()
	}
	if status != 200 {
		return -2, ClassWrongStatus, fmt.Sprintf("GET /latest answered %d: %s", status, replay.Snippet(body))
	}
	v, err := parseLatest(body)
	if err != nil {
		return -2, ClassGarbage, fmt.Sprintf("GET /latest: %v: %s", err, replay.Snippet(body))
	}
	return v, ClassOK, ""
}

// parseLatest decodes {"latest": N} strictly.
func parseLatest(body []byte) (int64, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return 0, fmt.Errorf("empty answer")
	}
	if b[0] != '{' {
		if _, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return 0, fmt.Errorf(`a bare number, not {"latest": N}`)
		}
		return 0, fmt.Errorf(`not a JSON object`)
	}
	var v struct {
		Latest *json.Number `json:"latest"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if bytes.Contains(b, []byte("'")) {
			return 0, fmt.Errorf("single-quoted keys (a Python dict printed, not JSON)")
		}
		return 0, fmt.Errorf("not valid JSON (%w)", err)
	}
	if v.Latest == nil {
		return 0, fmt.Errorf(`no "latest" field`)
	}
	n, err := v.Latest.Int64()
	if err != nil {
		return 0, fmt.Errorf(`"latest" is not an integer`)
	}
	return n, nil
}

// checker runs the consistency checks every CheckEvery.
func (r *runner) checker(ctx context.Context) {
	t := time.NewTicker(r.f.cfg.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, c := range r.checks(ctx) {
				if ctx.Err() != nil {
					return
				}
				if err := r.f.st.AddCheck(context.WithoutCancel(ctx), c); err != nil {
					r.logf("%v", err)
				}
			}
		}
	}
}

// checks compares the group's state with what the fleet sent: /latest
// against the latest action it answered (a request in flight may have
// moved it one further), and the newest acknowledged tweets in GET /msgs
// and the public web timeline.
func (r *runner) checks(ctx context.Context) []store.Check {
	now := time.Now().UTC()
	r.mu.Lock()
	before := r.answered
	tweets := append([]string(nil), r.tweets...)
	r.mu.Unlock()
	v, class, detail := latestOf(ctx, r.eng)
	r.mu.Lock()
	after := r.answered
	r.mu.Unlock()
	lc := store.Check{Group: r.id, At: now, Kind: "latest", Value: v, Want: after, Class: class, Detail: detail}
	if class == ClassOK {
		if v < before || v > after+1 {
			lc.Class = ClassMismatch
			lc.Detail = fmt.Sprintf("/latest is %d, the latest action answered is %d", v, after)
		}
	}
	lc.OK = lc.Class == ClassOK
	out := []store.Check{lc}
	if len(tweets) == 0 {
		return out
	}
	mc := store.Check{Group: r.id, At: now, Kind: "msgs", Value: -2, Want: int64(len(tweets))}
	status, body, err := r.eng.Get(ctx, "/msgs?no=100")
	switch {
	case err != nil:
		mc.Class, mc.Detail = ClassUnreachable, err.Error()
	case status != 200:
		mc.Class, mc.Detail = ClassWrongStatus, fmt.Sprintf("GET /msgs answered %d: %s", status, replay.Snippet(body))
	default:
		var msgs []struct {
			Content string `json:"content"`
		}
		if err := json.Unmarshal(body, &msgs); err != nil {
			mc.Class, mc.Detail = ClassGarbage, fmt.Sprintf("GET /msgs: not a JSON list of messages: %s", replay.Snippet(body))
			break
		}
		have := map[string]bool{}
		for _, m := range msgs {
			have[m.Content] = true
		}
		mc.Class, mc.Value = missing(tweets, func(t string) bool { return have[t] }, &mc.Detail)
	}
	mc.OK = mc.Class == ClassOK
	out = append(out, mc)
	if r.web == nil {
		return out
	}
	wc := store.Check{Group: r.id, At: now, Kind: "web", Value: -2, Want: int64(len(tweets))}
	status, body, err = r.web.Get(ctx, "/public")
	switch {
	case err != nil:
		wc.Class, wc.Detail = ClassUnreachable, err.Error()
	case status != 200:
		wc.Class, wc.Detail = ClassWrongStatus, fmt.Sprintf("GET /public answered %d: %s", status, replay.Snippet(body))
	default:
		page := string(body)
		wc.Class, wc.Value = missing(tweets, func(t string) bool {
			return strings.Contains(page, html.EscapeString(t)) || strings.Contains(page, t)
		}, &wc.Detail)
	}
	wc.OK = wc.Class == ClassOK
	return append(out, wc)
}

// missing counts the tweets found and names the first one missing.
func missing(tweets []string, found func(string) bool, detail *string) (string, int64) {
	var n int64
	var miss []string
	for _, t := range tweets {
		if found(t) {
			n++
		} else {
			miss = append(miss, t)
		}
	}
	if len(miss) == 0 {
		return ClassOK, n
	}
	*detail = fmt.Sprintf("%d of the %d newest tweets sent are missing, e.g. %q", len(miss), len(tweets), replay.Snippet([]byte(miss[0])))
	return ClassMissing, n
}
