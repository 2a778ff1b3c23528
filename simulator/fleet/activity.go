package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/minitwit-cd/kit/internal/chart"
)

// ActivityFiles are the charts WriteActivity writes, in the dashboard's
// order.
var ActivityFiles = []string{"commits-daily.svg", "commits-weekly.svg", "releases-weekly.svg"}

// GroupActivity is a group's commits and releases over all its
// repositories: commits by day and by ISO week (of the author time,
// UTC, every commit reachable from any branch or tag counted once) and
// releases (tags) by week.
type GroupActivity struct {
	Group    string         `json:"group"`
	Daily    map[string]int `json:"daily_commits"`   // 2006-01-02
	Weekly   map[string]int `json:"weekly_commits"`  // Monday 2006-01-02
	Releases map[string]int `json:"weekly_releases"` // Monday 2006-01-02
	// Missing lists repositories without a local clone.
	Missing []string `json:"missing,omitempty"`
}

// ClonePath is where the activity reader expects a local clone of repo
// for group: clones/<group id>/<repository name without .git>.
func ClonePath(clones, group, repo string) string {
	name := strings.TrimSuffix(path.Base(strings.TrimRight(repo, "/")), ".git")
	return filepath.Join(clones, group, name)
}

func weekOf(t time.Time) string {
	t = t.UTC().Truncate(24 * time.Hour)
	wd := (int(t.Weekday()) + 6) % 7 // Monday 0
	return t.AddDate(0, 0, -wd).Format(time.DateOnly)
}

// ReadActivity reads the local clones of every group's repositories.
func ReadActivity(clones string, groups []Group) ([]GroupActivity, error) {
	var out []GroupActivity
	for _, g := range groups {
		a := GroupActivity{Group: g.ID, Daily: map[string]int{}, Weekly: map[string]int{}, Releases: map[string]int{}}
		seen := map[plumbing.Hash]bool{}
		for _, repo := range g.Repos {
			dir := ClonePath(clones, g.ID, repo)
			r, err := git.PlainOpen(dir)
			if errors.Is(err, git.ErrRepositoryNotExists) {
				a.Missing = append(a.Missing, repo)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("activity: %s: open %s: %w", g.ID, dir, err)
			}
			if err := countRepo(r, seen, &a); err != nil {
				return nil, fmt.Errorf("activity: %s: %s: %w", g.ID, dir, err)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func countRepo(r *git.Repository, seen map[plumbing.Hash]bool, a *GroupActivity) error {
	refs, err := r.References()
	if err != nil {
		return err
	}
	var heads []plumbing.Hash
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		name := ref.Name()
		switch {
		case name.IsTag():
			when, commit, err := tagged(r, ref)
			if err != nil {
				return err
			}
			a.Releases[weekOf(when)]++
			heads = append(heads, commit)
		case name.IsBranch() || name.IsRemote():
			heads = append(heads, ref.Hash())
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range heads {
		if seen[h] {
			continue
		}
		iter, err := r.Log(&git.LogOptions{From: h})
		if err != nil {
			return err
		}
		err = iter.ForEach(func(c *object.Commit) error {
			if seen[c.Hash] {
				return nil
			}
			seen[c.Hash] = true
			a.Daily[c.Author.When.UTC().Format(time.DateOnly)]++
			a.Weekly[weekOf(c.Author.When)]++
			return nil
		})
		iter.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// tagged returns a tag's time (the tagger's for an annotated tag, the
// commit's otherwise) and the commit it names.
func tagged(r *git.Repository, ref *plumbing.Reference) (time.Time, plumbing.Hash, error) {
	if t, err := r.TagObject(ref.Hash()); err == nil {
		c, err := t.Commit()
		if err != nil {
			return time.Time{}, plumbing.ZeroHash, err
		}
		return t.Tagger.When, c.Hash, nil
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return time.Time{}, plumbing.ZeroHash, fmt.Errorf("tag %s: %w", ref.Name().Short(), err)
	}
	return c.Committer.When, c.Hash, nil
}

// ActivityCharts renders the daily commits, weekly commits and weekly
// releases per group, in ActivityFiles' order.
func ActivityCharts(as []GroupActivity) []chart.Chart {
	var daily []chart.Line
	weeks := map[string]bool{}
	for _, a := range as {
		l := chart.Line{Label: a.Group}
		for d, n := range a.Daily {
			t, _ := time.Parse(time.DateOnly, d)
			l.Points = append(l.Points, chart.TimePoint{T: t, V: float64(n)})
		}
		daily = append(daily, l)
		for w := range a.Weekly {
			weeks[w] = true
		}
		for w := range a.Releases {
			weeks[w] = true
		}
	}
	var ws []string
	for w := range weeks {
		ws = append(ws, w)
	}
	sort.Strings(ws)
	perWeek := func(get func(GroupActivity) map[string]int) []chart.Row {
		var rows []chart.Row
		for _, a := range as {
			r := chart.Row{Label: a.Group}
			for _, w := range ws {
				r.Values = append(r.Values, float64(get(a)[w]))
			}
			rows = append(rows, r)
		}
		return rows
	}
	labels := make([]string, len(ws))
	for i, w := range ws {
		labels[i] = "week of " + w
	}
	dc := chart.LineChart(chart.Lines{Title: "Commits per day, per group", Unit: "commits", Lines: daily})
	wc := chart.BarChart("Commits per week, per group", "commits", chart.Bars{Groups: labels,
		Series: perWeek(func(a GroupActivity) map[string]int { return a.Weekly })})
	rc := chart.BarChart("Releases (tags) per week, per group", "releases", chart.Bars{Groups: labels,
		Series: perWeek(func(a GroupActivity) map[string]int { return a.Releases }), MinHeight: 2})
	rc.Empty = "No releases yet"
	return []chart.Chart{dc, wc, rc}
}

// WriteActivity writes the activity charts (ActivityFiles) and
// activity.json into dir.
func WriteActivity(dir string, as []GroupActivity) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	for i, c := range ActivityCharts(as) {
		// Render gives a standalone <svg> with its namespace: a file a
		// browser opens as it is.
		svg := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + c.Render() + "\n"
		if err := os.WriteFile(filepath.Join(dir, ActivityFiles[i]), []byte(svg), 0o644); err != nil {
			return fmt.Errorf("activity: %w", err)
		}
	}
	b, err := json.MarshalIndent(as, "", "  ")
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "activity.json"), b, 0o644); err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	return nil
}
