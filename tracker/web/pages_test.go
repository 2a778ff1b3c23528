package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestHomeListsPublicFlows(t *testing.T) {
	f := newFixture(t)
	body := f.mustGet(t, nil, "/")
	assertContains(t, body, `href="/ui/cyber-dojo"`, `href="/ui/cyber-dojo/flows/runner"`, `href="/ui/cyber-dojo/flows/saver"`, "other-org", "No public flows.")
	assertLacks(t, body, "secret", "elsewhere")
}

func TestOrgPage(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		client *http.Client
		want   []string
		lacks  []string
	}{
		{
			name: "anonymous sees public flows only",
			want: []string{">runner<", ">saver<", "Runs the tests &lt;fast&gt;", ">aws-beta<", ">aws-prod<", "Sign in with API token",
				`<a href="/ui/cyber-dojo/environments/aws-prod/snapshots/4">aws-prod#4</a>`},
			lacks: []string{">secret<", "Not for everyone", "Sign out"},
		},
		{
			name:   "signed in sees private flows",
			client: f.signIn(t, f.token),
			want:   []string{">runner<", ">saver<", ">secret<", "Not for everyone", "Sign out"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := f.mustGet(t, tc.client, "/ui/cyber-dojo")
			assertContains(t, body, tc.want...)
			assertLacks(t, body, tc.lacks...)
		})
	}
}

func TestFlowPage(t *testing.T) {
	f := newFixture(t)
	body := f.mustGet(t, nil, "/ui/cyber-dojo/flows/runner")

	// Artifacts, newest first: name, 7-character commit, short fingerprint, state.
	rows := regexp.MustCompile(`(?s)<tr class="artifact">(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	want := []struct{ name, commit, fp, state string }{
		{"cyberdojo/runner:16d9990", "16d9990", fpNew[:12], "COMPLIANT"},
		{"cyberdojo/runner:bbbbbbb", "bbbbbbb", fpBroken[:12], "NON-COMPLIANT"},
		{"cyberdojo/runner:aaaaaaa", "aaaaaaa", fpOld[:12], "INCOMPLETE"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d artifact rows, want %d:\n%s", len(rows), len(want), text(body))
	}
	for i, w := range want {
		row := text(rows[i][1])
		for _, s := range []string{w.name, w.commit, w.fp, w.state} {
			if !strings.Contains(row, s) {
				t.Errorf("row %d %q lacks %q", i, row, s)
			}
		}
		if strings.Contains(row, "COMPLIANT") && w.state == "COMPLIANT" && strings.Contains(row, "NON-") {
			t.Errorf("row %d has the wrong state: %q", i, row)
		}
	}
	assertContains(t, body, `<span class="badge COMPLIANT">COMPLIANT</span>`, `<code>branch-coverage</code>`, "7 hours ago")

	// Recent deployments, newest first, the failed one marked.
	var deps []string
	for _, m := range regexp.MustCompile(`(?s)<tr class="deployment">(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		deps = append(deps, text(m[1]))
	}
	wantDeps := []string{
		"#4 cyberdojo/runner:16d9990 16d9990 aws-prod succeeded 6 hours ago",
		"#3 cyberdojo/runner:16d9990 16d9990 aws-beta succeeded 7 hours ago",
		"#2 cyberdojo/runner:bbbbbbb bbbbbbb aws-prod failed 7 hours ago",
		"#1 cyberdojo/runner:aaaaaaa aaaaaaa aws-prod succeeded 9 days ago",
	}
	if strings.Join(deps, "\n") != strings.Join(wantDeps, "\n") {
		t.Errorf("deployments:\n%s\nwant:\n%s", strings.Join(deps, "\n"), strings.Join(wantDeps, "\n"))
	}
	assertContains(t, body, `<span class="badge NON-COMPLIANT">failed</span>`)

	// DORA: one row per environment, then the two charts.
	metrics := regexp.MustCompile(`(?s)<tr class="metric">(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	if len(metrics) != 2 {
		t.Fatalf("got %d metric rows, want 2 (aws-beta, aws-prod):\n%s", len(metrics), text(body))
	}
	beta, prod := text(metrics[0][1]), text(metrics[1][1])
	for _, c := range []struct{ row, want string }{
		{beta, "aws-beta 1 "}, {beta, "2h 30m"}, {beta, "0% (0 of 1)"},
		{prod, "aws-prod 3 "}, {prod, "3.0 / month"}, {prod, "33% (1 of 3)"}, {prod, "20m"}, {prod, "1d 0h"},
	} {
		if !strings.Contains(c.row, c.want) {
			t.Errorf("metric row %q lacks %q", c.row, c.want)
		}
	}
	if got := count(body, "<svg"); got != 2 {
		t.Fatalf("got %d charts, want 2", got)
	}
	// 5 weeks x (aws-beta, aws-prod, failed) bars; lead time: 1 point in
	// aws-beta, 2 in aws-prod.
	if got := count(body, `class="bar"`); got != 15 {
		t.Errorf("got %d bars, want 15", got)
	}
	if got := count(body, `class="point"`); got != 3 {
		t.Errorf("got %d lead-time points, want 3", got)
	}
	assertContains(t, body, `data-series="aws-beta" data-points="1"`, `data-series="aws-prod" data-points="2"`, "Lead time from commit to running (hours)")
}

func TestFlowPageWithoutDeployments(t *testing.T) {
	f := newFixture(t)
	// Never deployed but running: metrics from the runtime alone.
	body := f.mustGet(t, f.signIn(t, f.token), "/ui/cyber-dojo/flows/secret")
	assertContains(t, body, "cyberdojo/secret:c0ffee0")
	row := regexp.MustCompile(`(?s)<tr class="metric">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil || text(row[1]) != "aws-prod 0 none 11d 0h – –" {
		t.Errorf("metric row %q, want aws-prod with no deployments and an 11-day lead time", row)
	}
	// Nothing at all: no table, no chart.
	body = f.mustGet(t, nil, "/ui/cyber-dojo/flows/docs")
	assertContains(t, body, "No artifacts yet.", "No deployments yet.")
	if strings.Contains(body, "<svg") {
		t.Errorf("a flow with nothing deployed or running should have no chart")
	}
}

func TestArtifactHistory(t *testing.T) {
	f := newFixture(t)
	body := f.mustGet(t, nil, "/ui/cyber-dojo/flows/runner/artifacts/"+fpNew[:10])
	assertContains(t, body,
		"<h1>cyberdojo/runner:16d9990", commitNew, fpNew,
		"Sun, 01 Nov 2026 10:00:00 UTC", "7 hours ago",
		`href="https://github.com/cyber-dojo/runner/commit/`+commitNew+`"`,
		`<span class="badge COMPLIANT">COMPLIANT</span>`,
	)
	items := regexp.MustCompile(`(?s)<li class="([a-z]+)"><span class="text">(.*?)</span>`).FindAllStringSubmatch(body, -1)
	want := []struct{ class, line string }{
		{"created", "Artifact created"},
		{"evidence", "branch-coverage evidence received"},
		{"deployment", "Deployment #3 to aws-beta environment"},
		{"started", "Started running in aws-beta#1 environment"},
		{"deployment", "Deployment #4 to aws-prod environment"},
		{"started", "Started running in aws-prod#2 environment"},
		{"exited", "No longer running in aws-beta#2 environment"},
		{"scaled", "Scaled down from 3 to 1 in aws-prod#4 environment"},
	}
	var got []string
	for _, it := range items {
		got = append(got, it[1]+": "+text(it[2]))
	}
	var wantLines []string
	for _, w := range want {
		wantLines = append(wantLines, w.class+": "+w.line)
	}
	if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	// Where it runs now and where it exited, and its deployments.
	assertContains(t, body,
		`<dd class="running"><a href="/ui/cyber-dojo/environments/aws-prod/snapshots/4">aws-prod#4</a></dd>`,
		`<dd class="exited"><a href="/ui/cyber-dojo/environments/aws-beta/snapshots/2">aws-beta#2</a></dd>`,
	)
	var deps []string
	for _, m := range regexp.MustCompile(`(?s)<tr class="deployment">(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		deps = append(deps, text(m[1]))
	}
	if len(deps) != 2 || !strings.HasPrefix(deps[0], "#3 aws-beta succeeded") || !strings.HasPrefix(deps[1], "#4 aws-prod succeeded") {
		t.Errorf("deployments %q, want #3 to aws-beta and #4 to aws-prod", deps)
	}
	// Runtime lines link their snapshot, deployments their environment.
	assertContains(t, body,
		`<a href="/ui/cyber-dojo/environments/aws-prod/snapshots/2">aws-prod#2</a>`,
		`<a href="/ui/cyber-dojo/environments/aws-beta/snapshots/1">aws-beta#1</a>`,
		`<a href="/ui/cyber-dojo/environments/aws-beta">aws-beta</a>`,
	)
}

func TestEnvironmentPage(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		client *http.Client
		series []string
	}{
		{
			name:   "anonymous: private and unknown artifacts are one band",
			series: []string{"cyberdojo/runner:aaaaaaa", "cyberdojo/saver:5a5a5a5", "other artifacts (sign in to see)", "cyberdojo/runner:16d9990"},
		},
		{
			name:   "signed in: every artifact is a band",
			client: f.signIn(t, f.token),
			series: []string{"cyberdojo/runner:aaaaaaa", "cyberdojo/saver:5a5a5a5", "cyberdojo/secret:c0ffee0", "mystery:latest @ fp " + fpUnknown[:7], "cyberdojo/runner:16d9990"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := f.mustGet(t, tc.client, "/ui/cyber-dojo/environments/aws-prod")
			rows := regexp.MustCompile(`<tr class="snapshot"><td><a href="([^"]+)">([^<]+)</a>`).FindAllStringSubmatch(body, -1)
			var names []string
			for _, r := range rows {
				names = append(names, r[2])
			}
			if got := strings.Join(names, ","); got != "aws-prod#4,aws-prod#3,aws-prod#2,aws-prod#1" {
				t.Errorf("snapshot list %q, want newest first", got)
			}
			assertContains(t, body, `href="/ui/cyber-dojo/diff?a=aws-prod%233&amp;b=aws-prod%234"`)
			got := regexp.MustCompile(`<path class="series" data-series="([^"]*)" data-points="(\d+)"`).FindAllStringSubmatch(body, -1)
			var labels []string
			for _, g := range got {
				labels = append(labels, g[1])
				if g[2] != "4" {
					t.Errorf("series %q has %s points, want one per snapshot (4)", g[1], g[2])
				}
			}
			if strings.Join(labels, "|") != strings.Join(tc.series, "|") {
				t.Fatalf("chart series:\n%s\nwant:\n%s", strings.Join(labels, "\n"), strings.Join(tc.series, "\n"))
			}
		})
	}
	// Recent changes, newest first; anonymous viewers miss the private two.
	body := f.mustGet(t, nil, "/ui/cyber-dojo/environments/aws-prod")
	var changes []string
	for _, m := range regexp.MustCompile(`(?s)<tr class="change [a-z]+">(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		changes = append(changes, text(m[1]))
	}
	wantChanges := []string{
		"aws-prod#4 cyberdojo/runner:16d9990 2 instances stopped running (from 3 to 1). 2 hours ago",
		"aws-prod#3 cyberdojo/runner:aaaaaaa 1 instance stopped running (from 1 to 0). 5 hours ago",
		"aws-prod#2 cyberdojo/runner:16d9990 3 instances started running (from 0 to 3). 6 hours ago",
	}
	if len(changes) != 5 || strings.Join(changes[:3], "\n") != strings.Join(wantChanges, "\n") {
		t.Errorf("changes:\n%s\nwant 5 starting with:\n%s", strings.Join(changes, "\n"), strings.Join(wantChanges, "\n"))
	}
	assertContains(t, body, "2 changes to artifacts of private flows hidden")

	// One step per snapshot by default, labelled with its number; a time
	// scale on request.
	assertContains(t, body, "latest 4", `class="step-label"`, "#2 Nov 1 11:00")
	body = f.mustGet(t, nil, "/ui/cyber-dojo/environments/aws-prod?scale=time")
	assertContains(t, body, "On a time scale", `data-points="4"`)
	assertLacks(t, body, `class="step-label"`)

	// An environment without snapshots shows the placeholder.
	body = f.mustGet(t, nil, "/ui/cyber-dojo/environments/staging")
	assertContains(t, body, "No snapshots yet", "No snapshots reported yet.")
}

func TestSnapshotPageBlueGreen(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		client *http.Client
		groups []string
		want   []string
		lacks  []string
	}{
		{
			name:   "anonymous",
			groups: []string{"runner", "saver"},
			want:   []string{"2 artifacts of private flows hidden"},
			lacks:  []string{"secret", "mystery"},
		},
		{
			name:   "signed in",
			client: f.signIn(t, f.token),
			groups: []string{"runner", "saver", "secret", "Not reported by any flow"},
			want:   []string{"cyberdojo/secret:c0ffee0", "mystery:latest"},
			lacks:  []string{"hidden"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// ~2 is two before the latest (#4): the blue-green snapshot #2.
			body := f.mustGet(t, tc.client, "/ui/cyber-dojo/environments/aws-prod/snapshots/~2")
			assertContains(t, body, "<h1>aws-prod#2</h1>")
			assertContains(t, body, tc.want...)
			assertLacks(t, body, tc.lacks...)
			heads := regexp.MustCompile(`(?s)<section class="flowgroup( bluegreen)?">\s*<h3>(.*?)</h3>`).FindAllStringSubmatch(body, -1)
			var names []string
			for _, h := range heads {
				n := text(h[2])
				if i := strings.Index(n, " blue-green"); i >= 0 {
					n = n[:i]
				}
				names = append(names, n)
				if (h[1] != "") != (n == "runner") {
					t.Errorf("group %q blue-green highlight = %v, want only runner's", n, h[1] != "")
				}
			}
			if strings.Join(names, "|") != strings.Join(tc.groups, "|") {
				t.Fatalf("groups %q, want %q", names, tc.groups)
			}
			runner := section(t, body, `<section class="flowgroup bluegreen">`, "</section>")
			assertContains(t, runner, "blue-green: 2 versions running", `<dd class="change">started here</dd>`)
			// Both versions, the old one first.
			old, newer := strings.Index(runner, "aaaaaaa"), strings.Index(runner, "16d9990")
			if old < 0 || newer < 0 || old > newer {
				t.Fatalf("runner group should show aaaaaaa then 16d9990:\n%s", text(runner))
			}
			replicas := regexp.MustCompile(`<div class="replicas"><span>(\d+) .*?<span class="role">([a-z]+)</span>`).FindAllStringSubmatch(runner, -1)
			if len(replicas) != 2 || replicas[0][1] != "1" || replicas[0][2] != "older" || replicas[1][1] != "3" || replicas[1][2] != "newer" {
				t.Errorf("replicas %v, want 1 (older) and 3 (newer)", replicas)
			}
		})
	}
	// After the old version exits there is no blue-green any more; the
	// scale-down shows on the next one.
	body := f.mustGet(t, nil, "/ui/cyber-dojo/environments/aws-prod/snapshots/3")
	assertLacks(t, body, "flowgroup bluegreen", "started here")
	body = f.mustGet(t, nil, "/ui/cyber-dojo/environments/aws-prod/snapshots/4")
	assertContains(t, body, `<dd class="change">scaled down from 3</dd>`)
}

func TestDiffPage(t *testing.T) {
	f := newFixture(t)
	diff := func(a, b string) string {
		return "/ui/cyber-dojo/diff?" + url.Values{"a": {a}, "b": {b}}.Encode()
	}
	type sec struct{ title, content string }
	tests := []struct {
		name string
		path string
		want []sec
	}{
		{
			name: "new version starts",
			path: diff("aws-prod#1", "aws-prod#2"),
			want: []sec{{"Only present in aws-prod#1", "None."}, {"Only present in aws-prod#2", "cyberdojo/runner:16d9990"}, {"aws-prod#1 -&gt; aws-prod#2 scaling", "None."}},
		},
		{
			name: "old version exits",
			path: diff("aws-prod#2", "aws-prod#3"),
			want: []sec{{"Only present in aws-prod#2", "cyberdojo/runner:aaaaaaa"}, {"Only present in aws-prod#3", "None."}, {"aws-prod#2 -&gt; aws-prod#3 scaling", "None."}},
		},
		{
			name: "scale down, relative expressions",
			path: diff("aws-prod~1", "aws-prod"),
			want: []sec{{"Only present in aws-prod#3", "None."}, {"Only present in aws-prod#4", "None."}, {"aws-prod#3 -&gt; aws-prod#4 scaling", "3 → 1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := f.mustGet(t, nil, tc.path)
			secs := regexp.MustCompile(`(?s)<section class="diff-section [a-z-]+">\s*<h2>(.*?)</h2>(.*?)</section>`).FindAllStringSubmatch(body, -1)
			if len(secs) != 3 {
				t.Fatalf("got %d sections, want 3:\n%s", len(secs), text(body))
			}
			for i, w := range tc.want {
				if secs[i][1] != w.title {
					t.Errorf("section %d title %q, want %q", i, secs[i][1], w.title)
				}
				if !strings.Contains(text(secs[i][2]), w.content) {
					t.Errorf("section %q lacks %q: %s", w.title, w.content, text(secs[i][2]))
				}
			}
		})
	}
	// Without parameters the page is just the form.
	body := f.mustGet(t, nil, "/ui/cyber-dojo/diff")
	assertContains(t, body, `name="a"`, `name="b"`)
	assertLacks(t, body, "Only present")
}

func TestNotFoundPages(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ name, path, want string }{
		{"unknown org", "/ui/no-such-org", "no-such-org"},
		{"unknown org's flow", "/ui/no-such-org/flows/runner", "no-such-org"},
		{"unknown flow", "/ui/cyber-dojo/flows/no-such-flow", "no-such-flow"},
		{"private flow, anonymous", "/ui/cyber-dojo/flows/secret", "secret"},
		{"private flow's artifact, anonymous", "/ui/cyber-dojo/flows/secret/artifacts/" + fpSecret, "secret"},
		{"unknown artifact", "/ui/cyber-dojo/flows/runner/artifacts/" + fpSaver[:8], fpSaver[:8]},
		{"unknown environment", "/ui/cyber-dojo/environments/no-such-env", "no-such-env"},
		{"unknown environment's snapshot", "/ui/cyber-dojo/environments/no-such-env/snapshots/1", "no-such-env"},
		{"snapshot past the end", "/ui/cyber-dojo/environments/aws-prod/snapshots/9", "4 snapshots"},
		{"diff snapshot past the end", "/ui/cyber-dojo/diff?a=aws-prod%239&b=aws-prod", "4 snapshots"},
		{"diff unknown environment", "/ui/cyber-dojo/diff?a=nowhere&b=aws-prod", "nowhere"},
		{"unknown page", "/no/such/page", "/no/such/page"},
		{"unknown page under an org", "/ui/cyber-dojo/nothing", "/ui/cyber-dojo/nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.get(t, nil, tc.path)
			if code != http.StatusNotFound {
				t.Fatalf("GET %s = %d, want 404:\n%s", tc.path, code, text(body))
			}
			assertContains(t, body, "404 Not Found", tc.want)
		})
	}
}

func TestBadRequestPages(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ name, path, want string }{
		{"fingerprint not hex", "/ui/cyber-dojo/flows/runner/artifacts/xyz", "invalid fingerprint"},
		{"snapshot not a number", "/ui/cyber-dojo/environments/aws-prod/snapshots/abc", "malformed snapshot"},
		{"snapshot zero", "/ui/cyber-dojo/environments/aws-prod/snapshots/0", "start at 1"},
		{"snapshot bad time", "/ui/cyber-dojo/environments/aws-prod/snapshots/@%7Byesterday%7D", "invalid time"},
		{"diff malformed expression", "/ui/cyber-dojo/diff?a=aws-prod%23x&b=aws-prod", "malformed snapshot expression"},
		{"diff bad environment name", "/ui/cyber-dojo/diff?a=a%20b&b=aws-prod", "malformed snapshot expression"},
		{"diff missing b", "/ui/cyber-dojo/diff?a=aws-prod", "two snapshot expressions"},
		{"diff expression too long", "/ui/cyber-dojo/diff?b=aws-prod&a=" + strings.Repeat("x", 300), "longer than"},
		{"page zero", "/ui/cyber-dojo/flows/runner?page=0", "invalid page"},
		{"days too many", "/ui/cyber-dojo/flows/runner?days=9999", "invalid days"},
		{"page not a number", "/ui/cyber-dojo/environments/aws-prod?page=abc", "invalid page"},
		{"unknown chart scale", "/ui/cyber-dojo/environments/aws-prod?scale=log", "invalid scale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.get(t, nil, tc.path)
			if code != http.StatusBadRequest {
				t.Fatalf("GET %s = %d, want 400:\n%s", tc.path, code, text(body))
			}
			assertContains(t, body, "400 Bad Request", tc.want)
		})
	}
}

// TestOddInputNever500 throws malformed names and expressions at every
// route: each must get a 4xx page, never a 500.
func TestOddInputNever500(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("a", 5000)
	odd := []string{"%00", "%20", "a%2Fb", "..", "%E2%80%AE", long, "runner%3Cscript%3E", "%25", "@%7B%7D", "~", "-0", "99999999999999999999"}
	var paths []string
	for _, s := range odd {
		paths = append(paths,
			"/ui/"+s, "/ui/"+s+"/diff?a=x&b=y", "/ui/cyber-dojo/flows/"+s, "/ui/cyber-dojo/flows/runner/artifacts/"+s,
			"/ui/cyber-dojo/environments/"+s, "/ui/cyber-dojo/environments/aws-prod/snapshots/"+s,
			"/ui/cyber-dojo/environments/"+s+"/snapshots/1", "/ui/cyber-dojo/diff?a="+s+"&b=aws-prod",
			"/ui/cyber-dojo/flows/runner?page="+s, "/ui/cyber-dojo/login?next="+s,
		)
	}
	for _, p := range paths {
		code, body := f.get(t, nil, p)
		if code >= 500 || code < 200 {
			t.Errorf("GET %.80s = %d:\n%.300s", p, code, text(body))
		}
	}
}
