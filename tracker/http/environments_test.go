package http_test

import (
	"slices"
	"testing"

	"github.com/minitwit-cd/kit/tracker/internal/storetest"
)

// kosliEnvironment reads an environment as Kosli's get environment and list
// environments do (getEnvironment.go, listEnvironments.go): state a bool
// or null, tags an object, policies an array, the times numbers or null.
func kosliEnvironment(t *testing.T, m map[string]any) (state any, reported any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Kosli's CLI would panic on %v: %v", m, r)
		}
	}()
	_ = m["name"].(string)
	_ = m["type"].(string)
	_ = m["tags"].(map[string]any)
	if m["policies"] != nil {
		_ = m["policies"].([]any)
	}
	for _, k := range []string{"last_reported_at", "last_modified_at"} {
		if m[k] != nil {
			_ = m[k].(float64)
		}
	}
	if m["state"] != nil {
		_ = m["state"].(bool)
	}
	return m["state"], m["last_reported_at"]
}

func TestEnvironmentShapes(t *testing.T) {
	e := newEnv(t)
	e.seed()
	// Before any report: state, last_reported_at and last_modified_at null.
	state, reported := kosliEnvironment(t, e.ok("GET", "/api/v2/environments/acme/aws-beta", nil, 200).Object(t))
	if state != nil || reported != nil {
		t.Fatalf("fresh environment: state %v, last_reported_at %v, want null", state, reported)
	}
	// An unknown artifact running: not compliant. A compliant one: true.
	e.report("aws-beta", 201, replicas("stranger", 1, 100))
	state, reported = kosliEnvironment(t, e.ok("GET", "/api/v2/environments/acme/aws-beta", nil, 200).Object(t))
	if state != false || reported == nil {
		t.Fatalf("after a report of an unknown artifact: state %v, last_reported_at %v", state, reported)
	}
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "plain"}, 201)
	e.attestArtifact("plain", "ok", newCommit)
	e.report("aws-prod", 201, replicas("ok", 2, 100))
	if state, _ := kosliEnvironment(t, e.ok("GET", "/api/v2/environments/acme/aws-prod", nil, 200).Object(t)); state != true {
		t.Fatalf("compliant environment: state %v", state)
	}

	// A logical environment: created from physical ones, its snapshot is
	// theirs side by side, its state all of theirs.
	created := e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "all", "type": "logical", "description": "", "included_environments": []string{"aws-beta", "aws-prod"}}, 201).Object(t)
	if inc := created["included_environments"].([]any); len(inc) != 2 {
		t.Fatalf("included_environments = %v", inc)
	}
	if state, _ := kosliEnvironment(t, e.ok("GET", "/api/v2/environments/acme/all", nil, 200).Object(t)); state != false {
		t.Fatalf("logical environment with a non-compliant part: state %v", state)
	}
	var snap kosliSnapshot
	decode(t, e.ok("GET", "/api/v2/snapshots/acme/all/-1", nil, 200).Body, &snap)
	fps := map[string]int{}
	for _, a := range snap.Artifacts {
		fps[a.Fingerprint] = len(a.CreationTimestamp)
	}
	if snap.Type != "logical" || len(snap.Artifacts) != 2 || fps[storetest.FP("ok")] != 2 || fps[storetest.FP("stranger")] != 1 || snap.Compliant {
		t.Fatalf("logical snapshot = %+v", snap)
	}
	// A logical environment with no included list is accepted (Kosli's
	// CLI sends none); bad ones are refused and nothing is stored.
	e.ok("PUT", "/api/v2/environments/acme", map[string]any{"name": "empty", "type": "logical", "description": ""}, 201)
	for _, c := range []struct {
		name string
		body map[string]any
		code int
		msg  string
	}{
		{"unknown part", map[string]any{"name": "bad1", "type": "logical", "included_environments": []string{"mars"}}, 404, "Environment named 'mars' does not exist"},
		{"logical part", map[string]any{"name": "bad2", "type": "logical", "included_environments": []string{"all"}}, 400, "included environment all is logical"},
		{"physical with parts", map[string]any{"name": "bad3", "type": "docker", "included_environments": []string{"aws-beta"}}, 400, "only for logical environments"},
		{"bad type", map[string]any{"name": "bad4", "type": "unknown"}, 400, `invalid environment type "unknown"`},
	} {
		r := e.do("PUT", "/api/v2/environments/acme", e.token, c.body)
		if msg, _ := r.Object(t)["message"].(string); r.Status != c.code || !contains(msg, c.msg) {
			t.Errorf("%s: %d %s, want %d %q", c.name, r.Status, r.Body, c.code, c.msg)
		}
		if r := e.do("GET", "/api/v2/environments/acme/"+c.body["name"].(string), e.token, nil); r.Status != 404 {
			t.Errorf("%s: stored anyway (%d)", c.name, r.Status)
		}
	}
	if r := e.do("GET", "/api/v2/snapshots/acme/all/1", e.token, nil); r.Status != 400 {
		t.Errorf("logical snapshot #1: %d %s, want 400", r.Status, r.Body)
	}

	// list environments: a bare array without paging, Kosli's envelope with.
	list := e.ok("GET", "/api/v2/environments/acme", nil, 200).Array(t)
	for _, x := range list {
		kosliEnvironment(t, x.(map[string]any))
	}
	if len(list) != 4 {
		t.Fatalf("list = %d environments, want 4", len(list))
	}
	var page struct {
		Page         int64            `json:"page"`
		PerPage      int64            `json:"per_page"`
		TotalPages   int64            `json:"total_pages"`
		TotalCount   int64            `json:"total_count"`
		Environments []map[string]any `json:"environments"`
	}
	decode(t, e.ok("GET", "/api/v2/environments/acme?page=2&per_page=3", nil, 200).Body, &page)
	if page.Page != 2 || page.PerPage != 3 || page.TotalPages != 2 || page.TotalCount != 4 || len(page.Environments) != 1 {
		t.Fatalf("page = %+v", page)
	}
	decode(t, e.ok("GET", "/api/v2/environments/acme?name=AWS&type=ECS&sort=name&sort_direction=desc&page=1&per_page=10", nil, 200).Body, &page)
	if page.TotalCount != 2 || page.Environments[0]["name"] != "aws-prod" {
		t.Fatalf("filtered page = %+v", page)
	}
	if r := e.do("GET", "/api/v2/environments/acme?sort=size", e.token, nil); r.Status != 400 {
		t.Errorf("sort=size: %d, want 400", r.Status)
	}
}

func TestListFiltersAndPaging(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for i := 1; i <= 5; i++ {
		e.report("aws-beta", 201, replicas("v", i, 100))
	}
	// Kosli's list snapshots: index, from, to, duration asserted numbers,
	// compliant a bool; newest first, reverse, interval, paging.
	indexes := func(query string) []int {
		var rows []struct {
			Index     int     `json:"index"`
			From      float64 `json:"from"`
			To        float64 `json:"to"`
			Duration  float64 `json:"duration"`
			Compliant bool    `json:"compliant"`
		}
		decode(t, e.ok("GET", "/api/v2/snapshots/acme/aws-beta"+query, nil, 200).Body, &rows)
		var out []int
		for _, r := range rows {
			out = append(out, r.Index)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []int
	}{
		{"?page=1&per_page=15&interval=&reverse=false", []int{5, 4, 3, 2, 1}},
		{"?page=1&per_page=15&interval=&reverse=true", []int{1, 2, 3, 4, 5}},
		{"?page=2&per_page=2&reverse=false", []int{3, 2}},
		{"?page=2&per_page=2&reverse=true", []int{3, 4}},
		{"?interval=2..4&reverse=false", []int{4, 3, 2}},
		{"?interval=~1..&reverse=true", []int{4, 5}},
		{"?interval=2..4&page=2&per_page=2&reverse=true", []int{4}},
		{"?page=9&per_page=2", nil},
	} {
		if got := indexes(c.query); !slices.Equal(got, c.want) {
			t.Errorf("snapshots%s = %v, want %v", c.query, got, c.want)
		}
	}
	if r := e.do("GET", "/api/v2/snapshots/acme/aws-beta?interval=7", e.token, nil); r.Status != 400 {
		t.Errorf("interval past the end: %d", r.Status)
	}
	if r := e.do("GET", "/api/v2/snapshots/acme/nope", e.token, nil); r.Status != 404 || !contains(string(r.Body), "Environment named 'nope' does not exist for organization 'acme'") {
		t.Errorf("unknown environment: %d %s", r.Status, r.Body)
	}

	// Kosli's list flows: search_by_name (case-sensitive unless
	// case_sensitive=false), a bare array or, paged, {data, pagination}.
	e.ok("PUT", "/api/v2/flows/acme", map[string]any{"name": "Runner-2"}, 201)
	names := func(body []byte) []string {
		var flows []struct {
			Name string            `json:"name"`
			Tags map[string]string `json:"tags"`
		}
		decode(t, body, &flows)
		var out []string
		for _, f := range flows {
			out = append(out, f.Name)
		}
		return out
	}
	if got := names(e.ok("GET", "/api/v2/flows/acme?search_by_name=unner", nil, 200).Body); !slices.Equal(got, []string{"Runner-2", "runner"}) {
		t.Errorf("search_by_name=unner: %v", got)
	}
	if got := names(e.ok("GET", "/api/v2/flows/acme?search_by_name=runner", nil, 200).Body); !slices.Equal(got, []string{"runner"}) {
		t.Errorf("case-sensitive search_by_name=runner: %v", got)
	}
	if got := names(e.ok("GET", "/api/v2/flows/acme?search_by_name=runner&case_sensitive=false", nil, 200).Body); len(got) != 2 {
		t.Errorf("case-insensitive search_by_name=runner: %v", got)
	}
	var paged struct {
		Data       []map[string]any `json:"data"`
		Pagination struct {
			Page      int `json:"page"`
			PageCount int `json:"page_count"`
			Total     int `json:"total"`
		} `json:"pagination"`
	}
	decode(t, e.ok("GET", "/api/v2/flows/acme?page=2&per_page=2", nil, 200).Body, &paged)
	if len(paged.Data) != 1 || paged.Pagination.Page != 2 || paged.Pagination.PageCount != 2 || paged.Pagination.Total != 3 {
		t.Errorf("paged flows = %+v", paged)
	}
}
