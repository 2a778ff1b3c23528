package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Options are one release run's choices, besides the plan.
type Options struct {
	// DryRun computes and prints everything and changes nothing.
	DryRun bool
	// Dist is where the release files go (default dist/release/TAG).
	Dist string
	// Build builds the archives (GoReleaser).
	Build BuildOptions
	// Remote is pushed the tag and the changelog commit ("" pushes
	// nothing: the tag stays local).
	Remote string
	// GitHub, when set, publishes the GitHub release.
	GitHub *GitHub
	// Record, when set, is called with the result after everything was
	// published (the pipeline records the release in the tracker).
	Record func(context.Context, Result) error
	// Out receives the progress lines.
	Out io.Writer
}

// Result is what a release made.
type Result struct {
	Plan       *Plan
	Artifacts  Artifacts
	Tagged     bool
	Pushed     bool
	ReleaseURL string
	// ChangelogCommit is the commit that wrote CHANGELOG.md ("" on a
	// detached HEAD, where it is written but not committed).
	ChangelogCommit string
}

// Run releases p: builds the files, makes the annotated tag, writes and
// commits CHANGELOG.md, pushes both atomically, publishes the GitHub
// release and records it. Everything that can fail on bad input is
// checked before the tag is made; a failure before the push undoes the tag
// and the changelog commit, so a failed run leaves no tag and no release.
func Run(ctx context.Context, repo Repo, p *Plan, o Options) (Result, error) {
	res := Result{Plan: p}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	if out, err := repo.git(ctx, "tag", "--list", p.Tag); err != nil {
		return res, err
	} else if out != "" {
		return res, fmt.Errorf("tag %s exists already: a version is released once", p.Tag)
	}
	dist := o.Dist
	if dist == "" {
		dist = filepath.Join(repo.Dir, "dist", "release", p.Tag)
	}
	if o.DryRun {
		printDryRun(out, p, o, dist)
		return res, nil
	}
	fmt.Fprintf(out, "building the release files with GoReleaser into %s\n", dist)
	a, err := BuildArtifacts(ctx, repo, p, dist, o.Build)
	if err != nil {
		return res, err
	}
	res.Artifacts = a
	fmt.Fprintf(out, "built %d archives, checksums.txt (verified) and an SBOM\n", len(a.Archives))

	head, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return res, err
	}
	if err := repo.CreateTag(ctx, p.Tag, p.Commit, p.Tag+"\n\n"+p.Changelog); err != nil {
		return res, err
	}
	res.Tagged = true
	undo := func(cause error) (Result, error) {
		c := context.WithoutCancel(ctx)
		errs := []error{cause}
		if err := repo.DeleteTag(c, p.Tag); err != nil {
			errs = append(errs, fmt.Errorf("undo tag: %w", err))
		} else {
			res.Tagged = false
		}
		if res.ChangelogCommit != "" {
			if _, err := repo.git(c, "reset", "--hard", head); err != nil {
				errs = append(errs, fmt.Errorf("undo changelog commit: %w", err))
			}
		}
		return res, errors.Join(errs...)
	}
	fmt.Fprintf(out, "tagged %s at %s\n", p.Tag, short(p.Commit))
	if err := PrependChangelog(filepath.Join(repo.Dir, "CHANGELOG.md"), p.Changelog); err != nil {
		return undo(err)
	}
	refs := []string{"refs/tags/" + p.Tag}
	if branch := repo.Branch(ctx); branch != "" {
		sha, err := repo.CommitFile(ctx, "CHANGELOG.md", "chore(release): "+p.Tag+"\n\nThe changelog of "+p.Tag+".")
		if err != nil {
			return undo(err)
		}
		res.ChangelogCommit = sha
		refs = append(refs, "refs/heads/"+branch)
		fmt.Fprintf(out, "committed CHANGELOG.md as %s on %s\n", short(sha), branch)
	}
	if o.Remote != "" {
		if err := repo.Push(ctx, o.Remote, refs...); err != nil {
			return undo(fmt.Errorf("push to %s: %w", o.Remote, err))
		}
		res.Pushed = true
		fmt.Fprintf(out, "pushed %s to %s\n", strings.Join(refs, " "), o.Remote)
	}
	if o.GitHub != nil {
		url, err := o.GitHub.Publish(ctx, p.Tag, p.Tag, p.Changelog, a.Files())
		res.ReleaseURL = url
		if err != nil {
			return res, fmt.Errorf("the tag %s is pushed, the GitHub release is not complete: %w", p.Tag, err)
		}
		fmt.Fprintf(out, "published %s\n", url)
	}
	if o.Record != nil {
		if err := o.Record(ctx, res); err != nil {
			return res, fmt.Errorf("released %s, but recording it failed: %w", p.Tag, err)
		}
	}
	return res, nil
}

// printDryRun shows everything a release would do.
func printDryRun(w io.Writer, p *Plan, o Options, dist string) {
	fmt.Fprintf(w, "dry run: nothing is built, tagged, pushed or published\n")
	fmt.Fprintf(w, "would build: archives for linux/amd64 and linux/arm64, checksums.txt and sbom.spdx.json into %s (GoReleaser)\n", dist)
	fmt.Fprintf(w, "would tag: %s (annotated) at %s\n", p.Tag, short(p.Commit))
	fmt.Fprintf(w, "would commit: CHANGELOG.md with the section below\n")
	if o.Remote != "" {
		fmt.Fprintf(w, "would push: the tag and the changelog commit to %s\n", o.Remote)
	}
	if o.GitHub != nil {
		fmt.Fprintf(w, "would publish: the GitHub release %s of %s/%s with the archives, checksums and SBOM\n", p.Tag, o.GitHub.Owner, o.GitHub.Repo)
	}
	if o.Record != nil {
		fmt.Fprintf(w, "would record: the release in the tracker\n")
	}
}
