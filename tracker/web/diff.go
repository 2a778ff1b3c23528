package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// diffEntry is one artifact in a section of a snapshot diff, with the
// CLI's fields (Name, Fingerprint, Flow, Commit URL, Started) and, for
// scaling, the instance counts.
type diffEntry struct {
	Name        string
	URL         string
	Fingerprint string
	Flow        string
	CommitURL   string
	Started     time.Time
	Was, Now    int
}

// diffSection is one of the diff's three sections, for the template.
type diffSection struct {
	Class   string
	Title   string
	Entries []diffEntry
	Scaling bool
}

type diffView struct {
	A, B     string
	Compared bool
	OnlyA    []diffEntry
	OnlyB    []diffEntry
	Scaling  []diffEntry
	Hidden   int
}

// maxExprLen bounds a snapshot expression from the query string.
const maxExprLen = 200

func (h *handler) diffPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	q := r.URL.Query()
	v := diffView{A: strings.TrimSpace(q.Get("a")), B: strings.TrimSpace(q.Get("b"))}
	p := page{
		Title: "Diff snapshots", Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: "diff"}},
	}
	if v.A == "" && v.B == "" {
		p.Data = v
		h.render(w, r, http.StatusOK, "diff", p)
		return
	}
	var snaps [2]model.Snapshot
	for i, expr := range []string{v.A, v.B} {
		if expr == "" {
			h.fail(w, r, o, model.Errorf(model.EINVALID, "a diff needs two snapshot expressions (a and b), e.g. aws-prod#64 and aws-prod#65"))
			return
		}
		if len(expr) > maxExprLen {
			h.fail(w, r, o, model.Errorf(model.EINVALID, "snapshot expression is longer than %d characters", maxExprLen))
			return
		}
		e, err := model.ParseSnapshotExpr(expr, h.now())
		if err != nil {
			h.fail(w, r, o, err)
			return
		}
		if _, err := h.findEnvironment(ctx, o, e.Environment); err != nil {
			h.fail(w, r, o, err)
			return
		}
		snaps[i], err = h.store.FindSnapshot(ctx, o.org, e.Environment, e.Ref)
		if err != nil {
			h.fail(w, r, o, err)
			return
		}
	}
	flows, err := h.visibleFlows(ctx, o)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	// Sections are titled with the resolved names (aws-prod#65, not
	// aws-prod~1), as the CLI prints them.
	v.A, v.B, v.Compared = snaps[0].Name(), snaps[1].Name(), true
	d := model.Diff(snaps[0], snaps[1])
	shown := func(a model.SnapshotArtifact) bool {
		if flows.visible(a.Flow) {
			return true
		}
		v.Hidden++
		return false
	}
	entry := func(a model.SnapshotArtifact) diffEntry {
		e := diffEntry{Name: a.Name, Fingerprint: a.Fingerprint, Flow: a.Flow, CommitURL: safeURL(a.CommitURL), Started: a.RunningSince()}
		if a.Known {
			e.URL = artifactURL(o.org, a.Flow, a.Fingerprint)
		}
		return e
	}
	for _, a := range d.OnlyA {
		if shown(a) {
			v.OnlyA = append(v.OnlyA, entry(a))
		}
	}
	for _, a := range d.OnlyB {
		if shown(a) {
			v.OnlyB = append(v.OnlyB, entry(a))
		}
	}
	for _, c := range d.Changed {
		if shown(c.SnapshotArtifact) {
			e := entry(c.SnapshotArtifact)
			e.Was, e.Now = c.WasInstances, c.NowInstances
			v.Scaling = append(v.Scaling, e)
		}
	}
	p.Data = v
	h.render(w, r, http.StatusOK, "diff", p)
}
