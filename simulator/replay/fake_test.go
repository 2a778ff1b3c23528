package replay_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

// fakeMiniTwit is a strict in-memory implementation of the simulator API,
// for engine tests that need a correct target with injected faults (the
// real app is exercised in the cmd package's tests). It answers 404 for
// unknown users, like the real app, so an out-of-order replay shows up as
// errors.
type fakeMiniTwit struct {
	mu      sync.Mutex
	latest  int64
	users   map[string]bool
	follows map[string]map[string]bool
	msgs    map[string][]string
	// before, when set, runs first for every request with its latest
	// value; it returns false when it has answered (a fault) itself.
	before func(w http.ResponseWriter, r *http.Request, latest int64) bool
	// after runs after the request was processed, before the answer.
	after func(latest int64)
	// lenient creates unknown users on first use instead of answering
	// 404, for replays that start in the middle of a scenario.
	lenient bool
}

func newFake() *fakeMiniTwit {
	return &fakeMiniTwit{latest: -1, users: map[string]bool{}, follows: map[string]map[string]bool{}, msgs: map[string][]string{}}
}

func (f *fakeMiniTwit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	latest, err := strconv.ParseInt(r.URL.Query().Get("latest"), 10, 64)
	if err != nil {
		latest = -2
	}
	if f.before != nil && !f.before(w, r, latest) {
		return
	}
	status, body := f.handle(r, latest)
	if f.after != nil {
		f.after(latest)
	}
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	w.WriteHeader(status)
}

func (f *fakeMiniTwit) handle(r *http.Request, latest int64) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if latest >= 0 {
		f.latest = latest
	}
	if r.URL.Path == "/latest" {
		return 200, map[string]int64{"latest": f.latest}
	}
	if r.URL.Path != "/register" && r.Header.Get("Authorization") != scenario.Authorization {
		return 403, map[string]any{"status": 403, "error_msg": "You are not authorized to use this resource!"}
	}
	var in map[string]string
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return 400, map[string]any{"status": 400, "error_msg": "bad json"}
		}
	}
	if r.URL.Path == "/register" {
		if f.users[in["username"]] {
			return 400, map[string]any{"status": 400, "error_msg": "The username is already taken"}
		}
		f.users[in["username"]] = true
		return 204, nil
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) != 2 {
		return 404, nil
	}
	user, _ := url.PathUnescape(parts[1])
	if f.lenient {
		f.users[user] = true
		f.users[in["follow"]+in["unfollow"]] = true
	}
	if !f.users[user] {
		return 404, nil
	}
	no := 100
	if s := r.URL.Query().Get("no"); s != "" {
		no, _ = strconv.Atoi(s)
	}
	switch parts[0] + " " + r.Method {
	case "msgs POST":
		f.msgs[user] = append(f.msgs[user], in["content"])
		return 204, nil
	case "msgs GET":
		type msg struct {
			Content string `json:"content"`
			User    string `json:"user"`
		}
		out := []msg{}
		m := f.msgs[user]
		for i := len(m) - 1; i >= 0 && len(out) < no; i-- {
			out = append(out, msg{m[i], user})
		}
		return 200, out
	case "fllws POST":
		other := in["follow"] + in["unfollow"]
		if !f.users[other] {
			return 404, nil
		}
		if f.follows[user] == nil {
			f.follows[user] = map[string]bool{}
		}
		if in["follow"] != "" {
			f.follows[user][other] = true
		} else {
			delete(f.follows[user], other)
		}
		return 204, nil
	case "fllws GET":
		out := []string{}
		for o := range f.follows[user] {
			out = append(out, o)
		}
		slices.Sort(out)
		return 200, map[string][]string{"follows": out}
	}
	return 404, nil
}

// prefixed mounts h below prefix, like a target at http://host/api/v1.
func prefixed(prefix string, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	return mux
}

func mustT(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
