package web

import (
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// historyLine is one event of an artifact's timeline. The text is the
// CLI's line, split around the environment or snapshot it names so that
// part can be a link.
type historyLine struct {
	Class    string
	Before   string
	Link     string
	LinkText string
	After    string
	Time     time.Time
}

type evidenceRow struct {
	Name      string
	Type      string
	Compliant bool
	Time      time.Time
	// Files are the evidence's attachments (the simulator's HTML report,
	// a JUnit XML), each a download link.
	Files []fileLink
}

// fileLink is one attached file to download.
type fileLink struct {
	Name string
	URL  string
	Size int
}

// snapshotLink names one snapshot, linked.
type snapshotLink struct {
	Name string
	URL  string
}

// deploymentRow is one deployment of the artifact.
type deploymentRow struct {
	Number int
	Env    string
	EnvURL string
	Status string
	Failed bool
	Time   time.Time
}

type artifactView struct {
	Running     []snapshotLink
	Exited      []snapshotLink
	Deployments []deploymentRow
	Name        string
	Flow        string
	FlowURL     string
	Fingerprint string
	Created     time.Time
	Commit      string
	CommitURL   string
	BuildURL    string
	State       string
	Evidence    []evidenceRow
	History     []historyLine
}

func (h *handler) artifactPage(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	f, err := h.findFlow(ctx, o, r.PathValue("flow"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	fp, err := model.ValidateHexPrefix("fingerprint", r.PathValue("fingerprint"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	av, err := model.GetArtifactView(ctx, h.store, o.org, f.Name, fp)
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	a := av.Artifact
	v := artifactView{
		Name: a.Name, Flow: a.Flow, FlowURL: flowURL(o.org, a.Flow), Fingerprint: a.Fingerprint,
		Created: a.CreatedAt, Commit: a.GitCommit, CommitURL: safeURL(a.CommitURL), BuildURL: safeURL(a.BuildURL),
		State: av.State,
	}
	for _, e := range av.Evidence {
		row := evidenceRow{Name: e.Name, Type: e.Type, Compliant: e.Compliant, Time: e.CreatedAt}
		for _, file := range e.Files {
			row.Files = append(row.Files, fileLink{Name: file.Name, URL: attachmentURL(o.org, a.Flow, e.ID, file.Name), Size: len(file.Content)})
		}
		v.Evidence = append(v.Evidence, row)
	}
	link := func(es model.EnvSnapshot) snapshotLink {
		return snapshotLink{Name: fmt.Sprintf("%s#%d", es.Environment, es.SnapshotIndex), URL: snapshotURL(o.org, es.Environment, es.SnapshotIndex)}
	}
	for _, es := range av.Running {
		v.Running = append(v.Running, link(es))
	}
	for _, es := range av.Exited {
		v.Exited = append(v.Exited, link(es))
	}
	for _, d := range av.Deployments {
		v.Deployments = append(v.Deployments, deploymentRow{Number: d.Number, Env: d.Environment, EnvURL: envURL(o.org, d.Environment), Status: d.Status, Failed: d.Failed(), Time: d.CreatedAt})
	}
	for _, it := range av.History {
		v.History = append(v.History, historyLink(o.org, it))
	}
	h.render(w, r, http.StatusOK, "artifact", page{
		Title: a.Name, Org: o.org, Authed: o.authed,
		Crumbs: []crumb{{Name: o.org, URL: orgURL(o.org)}, {Name: a.Flow, URL: flowURL(o.org, a.Flow)}, {Name: shortCommit(a.GitCommit)}},
		Data:   v,
	})
}

var (
	// snapshotRefRE finds "aws-beta#84" in a runtime event's line.
	snapshotRefRE = regexp.MustCompile(`^(.* in )([A-Za-z0-9][A-Za-z0-9_.:-]*)#(\d+)( environment)$`)
	// deploymentRE finds the environment of "Deployment #18 to aws-beta environment".
	deploymentRE = regexp.MustCompile(`^(Deployment #\d+ to )([A-Za-z0-9][A-Za-z0-9_.:-]*)( environment)$`)
)

// historyLink turns a history item into a timeline line, linking the
// snapshot or environment it names.
func historyLink(org string, it model.HistoryItem) historyLine {
	l := historyLine{Before: it.Event, Time: it.At}
	switch it.Kind {
	case model.HistoryCreated:
		l.Class = "created"
	case model.HistoryEvidence:
		l.Class = "evidence"
	case model.HistoryDeployment:
		l.Class = "deployment"
		if m := deploymentRE.FindStringSubmatch(it.Event); m != nil {
			l.Before, l.LinkText, l.Link, l.After = m[1], m[2], envURL(org, m[2]), m[3]
		}
	default:
		switch {
		case strings.HasPrefix(it.Event, "Started"):
			l.Class = "started"
		case strings.HasPrefix(it.Event, "No longer"):
			l.Class = "exited"
		default:
			l.Class = "scaled"
		}
		if m := snapshotRefRE.FindStringSubmatch(it.Event); m != nil {
			if n, err := strconv.Atoi(m[3]); err == nil {
				l.Before, l.LinkText, l.Link, l.After = m[1], m[2]+"#"+m[3], snapshotURL(org, m[2], n), m[4]
			}
		}
	}
	return l
}

// safeURL keeps user-supplied links (commit and build URLs) only when they
// are http(s); html/template would neutralise a javascript: URL anyway, but
// then the page would show a broken link.
func safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

// attachment serves one file attached to evidence of a flow the visitor
// may see, as a download: it is the reporter's content, so it is never
// rendered as a page of the tracker's origin (sandboxed, not sniffed).
func (h *handler) attachment(w http.ResponseWriter, r *http.Request, o orgReq) {
	ctx := r.Context()
	f, err := h.findFlow(ctx, o, r.PathValue("flow"))
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, o, model.Errorf(model.EINVALID, "attestation id %q is not a number", r.PathValue("id")))
		return
	}
	e, err := h.store.FindEvidence(ctx, o.org, id)
	if err == nil && e.Flow != f.Name {
		err = model.Errorf(model.ENOTFOUND, "attestation %d not found in flow %s", id, f.Name)
	}
	if err != nil {
		h.fail(w, r, o, err)
		return
	}
	name := r.PathValue("name")
	for _, file := range e.Files {
		if file.Name == name {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file.Name}))
			w.Header().Set("Content-Security-Policy", "sandbox")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			// Explicit: behind the API's router the default status of an
			// unrouted path is 404.
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(file.Content)
			return
		}
	}
	h.fail(w, r, o, model.Errorf(model.ENOTFOUND, "attestation %d has no attachment %q", id, name))
}
