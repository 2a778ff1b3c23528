package fleet_test

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet"
)

const (
	e2eUsers   = 30
	e2eActions = 400
)

// TestFleetEightGroups runs `simulator fleet run` against eight real
// MiniTwits on loopback, five of them with an injected fault, and checks
// every group's counts and classes in the dashboard's JSON and error log,
// the reload of a changed URL (that group resumes, nothing is resent), a
// refused malformed reload, and that the healthy groups see no error.
func TestFleetEightGroups(t *testing.T) {
	dir := t.TempDir()
	sc := genScenario(t, e2eUsers, e2eActions)

	apps := map[string]*app{}
	for _, id := range []string{"h1", "h2", "h3", "slow", "as200", "dies", "prefix", "latest"} {
		apps[id] = startApp(t)
	}
	// The "latest" group's database holds an earlier run.
	resp, err := http.Post(apps["latest"].url()+"/register?latest=700", "application/json",
		strings.NewReader(`{"username":"earlier run","email":"e@x.org","pwd":"p"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	px := map[string]*proxy{}
	for _, id := range []string{"h1", "h2", "h3", "latest"} {
		px[id] = newProxy(t, apps[id].url(), nil)
	}
	px["slow"] = newProxy(t, apps["slow"].url(), func(p *proxy) { p.slow = 50 })
	px["as200"] = newProxy(t, apps["as200"].url(), func(p *proxy) { p.as200 = true })
	px["prefix"] = newProxy(t, apps["prefix"].url(), func(p *proxy) { p.prefix = "/api/v1" })
	h3b := newProxy(t, apps["h3"].url(), nil) // h3's new address after the reload

	groups := []fleet.Group{}
	for _, id := range []string{"h1", "h2", "h3", "slow", "as200", "dies", "prefix", "latest"} {
		g := fleet.Group{ID: id, Name: "Group " + id}
		if p := px[id]; p != nil {
			g.API = p.url()
		} else {
			g.API = apps[id].url() // the dying group is reached directly: killed, it refuses connections
		}
		g.Web = apps[id].url()
		groups = append(groups, g)
	}
	gfile := filepath.Join(dir, "groups.yaml")
	writeGroups(t, gfile, groups)
	db := filepath.Join(dir, "fleet.db")
	f := startFleet(t, "--groups", gfile, "--db", db, "-s", sc, "--speedup", "12000",
		"--check-every", "300ms", "--flush-every", "200ms", "--watch", "100ms", "--refresh", "2s")

	// Halfway, the dying group's MiniTwit is killed; it comes back once
	// the fleet has recorded connection errors for it.
	waitFor(t, 60*time.Second, "the dying group to reach action 150", func() bool {
		return f.overview(t)["dies"].Progress.Done >= 150
	})
	killedAt := f.overview(t)["dies"].Progress.Done
	apps["dies"].kill()
	waitFor(t, 30*time.Second, "connection errors of the dead group", func() bool {
		return f.overview(t)["dies"].Counts.ConnError >= 3
	})
	apps["dies"].start()

	// A malformed groups file is refused and changes nothing.
	bad := append(slices.Clone(groups), groups[0])
	writeGroups(t, gfile, bad)
	var ov overview
	waitFor(t, 10*time.Second, "the refused reload to show", func() bool {
		getJSON(t, "http://"+f.addr+"/api/overview", &ov)
		return ov.ConfigError != ""
	})
	if !strings.Contains(ov.ConfigError, `duplicate id "h1"`) {
		t.Errorf("config error = %q, want it to name the duplicate id", ov.ConfigError)
	}
	if len(ov.Groups) != 8 {
		t.Errorf("after a refused reload the dashboard shows %d groups, want the 8 running", len(ov.Groups))
	}
	// Then h3 moves to another address: only h3 restarts, and resumes.
	moved := slices.Clone(groups)
	moved[2].API = h3b.url()
	writeGroups(t, gfile, moved)
	waitFor(t, 30*time.Second, "h3 to send to its new URL", func() bool { return h3b.count() > 0 })

	waitFor(t, 120*time.Second, "every group to finish the scenario", func() bool {
		for _, g := range f.overview(t) {
			if g.Live == nil || g.Live.Running || !g.Live.Finished {
				return false
			}
		}
		return true
	})
	got := f.overview(t)
	last := int64(e2eActions - 1)
	for id, g := range got {
		if g.Progress.Done != last || g.Counts.Total != e2eActions {
			t.Errorf("%s: done %d, %d requests; want %d and %d", id, g.Progress.Done, g.Counts.Total, last, e2eActions)
		}
	}
	// This machine is shared: a stall of the whole machine (not of another
	// group) can make a few answers late or time out anywhere. Those are
	// allowed, up to maxNoise per group, and logged; every other class is
	// exact.
	const maxNoise = 4
	for id, g := range got {
		if n := g.Counts.Late + g.Counts.Timeout; n > 0 {
			t.Logf("%s: %d late, %d timeouts", id, g.Counts.Late, g.Counts.Timeout)
		}
	}
	for _, id := range []string{"h1", "h2", "h3", "prefix", "latest"} {
		g := got[id]
		if g.Counts.ConnError+g.Counts.WrongStatus+g.Counts.Consequence != 0 || g.Counts.Late+g.Counts.Timeout > maxNoise {
			t.Errorf("%s (healthy): counts %+v, want every request answered right", id, g.Counts)
		}
		if g.Progress.Acked != last {
			t.Errorf("%s: acked %d, want %d", id, g.Progress.Acked, last)
		}
		for _, kind := range []string{"latest", "msgs", "web"} {
			if c, ok := g.Checks[kind]; !ok || !c.OK {
				t.Errorf("%s: check %s = %+v, want ok", id, kind, c)
			}
		}
		if g.Latest != last {
			t.Errorf("%s: /latest at the last check = %d, want %d", id, g.Latest, last)
		}
	}
	for id, p := range map[string]*proxy{"h1": px["h1"], "h2": px["h2"], "slow": px["slow"], "prefix": px["prefix"]} {
		if d := p.duplicates(); len(d) > 0 || p.count() != e2eActions {
			t.Errorf("%s: proxy forwarded %d POSTs, duplicates %v; want %d, none", id, p.count(), d, e2eActions)
		}
	}
	// h3 across its two addresses: every action once.
	for id, n := range h3b.seen {
		px["h3"].seen[id] += n
	}
	if d := px["h3"].duplicates(); len(d) > 0 || len(px["h3"].seen) != e2eActions {
		t.Errorf("h3 across the reload: %d distinct actions, resent %v; want %d, none", len(px["h3"].seen), d, e2eActions)
	}
	if !strings.Contains(f.log.String(), "restarted [h3]") || !strings.Contains(f.log.String(), "h3: resuming after action") {
		t.Errorf("the reload did not restart h3 alone and resume it:\n%s", f.log.String())
	}

	slow := got["slow"]
	if want := int64(len(px["slow"].slowed)); want != e2eActions/50 || slow.Counts.Timeout < want ||
		slow.Counts.Timeout+slow.Counts.Late > want+maxNoise || slow.Counts.OK+slow.Counts.Late+slow.Counts.Timeout != e2eActions {
		t.Errorf("slow: counts %+v, slowed %d; want exactly the slowed requests to time out", slow.Counts, want)
	}
	errLog := get(t, "http://"+f.addr+"/groups/slow/errors.log")
	for _, id := range px["slow"].slowed {
		if !strings.Contains(errLog, ","+px["slow"].url()+","+strconv.FormatInt(id, 10)+",ReadTimeout\n") {
			t.Errorf("slow: error log lacks the ReadTimeout line of action %d:\n%s", id, errLog)
		}
	}
	a200 := got["as200"]
	if a200.Counts.OK != 0 || a200.Counts.WrongStatus < e2eUsers-maxNoise ||
		a200.Counts.WrongStatus+a200.Counts.Consequence+a200.Counts.Timeout != e2eActions || a200.Counts.Timeout > maxNoise {
		t.Errorf("as200: counts %+v, want every request a wrong status (the registrations) or its consequence", a200.Counts)
	}
	if l := get(t, "http://"+f.addr+"/groups/as200/errors.log"); !strings.Contains(l, ",200,register\n") {
		t.Errorf("as200: error log lacks the course's status line:\n%.500s", l)
	}
	dies := got["dies"]
	if dies.Counts.ConnError < 3 || dies.Counts.Late+dies.Counts.Timeout > maxNoise ||
		dies.Progress.Acked <= killedAt+dies.Counts.ConnError || dies.Counts.OK <= killedAt {
		// Actions of users whose registration failed while it was down
		// are consequences, so the very last action may be one.
		t.Errorf("dies: counts %+v acked %d, killed after %d; want connection errors while down and answers again after",
			dies.Counts, dies.Progress.Acked, killedAt)
	}
	if pre := got["latest"].Prestart; pre == nil || pre.Class != fleet.ClassNotEmpty || pre.Value != 700 {
		t.Errorf("latest: prestart %+v, want not empty at 700", pre)
	}
	for _, id := range []string{"h1", "slow", "as200", "dies", "prefix"} {
		if pre := got[id].Prestart; pre == nil || pre.Class != fleet.ClassOK {
			t.Errorf("%s: prestart %+v, want ok", id, pre)
		}
	}

	// The group page's minutes add up to the overview's counts.
	for _, id := range []string{"h1", "slow", "dies"} {
		var d struct {
			Minutes []struct {
				Counts struct {
					Total   int64 `json:"total"`
					Timeout int64 `json:"timeout"`
				} `json:"counts"`
			} `json:"minutes"`
		}
		getJSON(t, "http://"+f.addr+"/api/groups/"+id, &d)
		var total, timeouts int64
		for _, m := range d.Minutes {
			total += m.Counts.Total
			timeouts += m.Counts.Timeout
		}
		if total != e2eActions || timeouts != got[id].Counts.Timeout {
			t.Errorf("%s: minutes add up to %d requests, %d timeouts; want %d, %d", id, total, timeouts, e2eActions, got[id].Counts.Timeout)
		}
	}
	for _, path := range []string{"/", "/groups/slow", "/overview.csv", "/groups/dies/minutes.csv"} {
		if b := get(t, "http://"+f.addr+path); len(b) < 100 {
			t.Errorf("GET %s: %q", path, b)
		}
	}
	browse(t, "http://"+f.addr)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b.String())
	}
	return b.String()
}
