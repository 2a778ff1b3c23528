package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/release"
	"github.com/minitwit-cd/kit/tracker/api"
	"github.com/minitwit-cd/kit/tracker/client"
)

// ReleaseOptions are the flags of `pipeline release`.
type ReleaseOptions struct {
	IO *cli.IOStreams

	Dir        string
	Rev        string
	FromEnv    string
	Flow       string
	DryRun     bool
	Remote     string
	GitHub     string
	GitHubAPI  string
	Dist       string
	GoReleaser string
	RepoURL    string

	// HTTPClient is used for GitHub and the tracker (nil: the default).
	HTTPClient *http.Client
}

// NewCmdRelease builds `pipeline release`.
func NewCmdRelease(f *Factory, runF func(context.Context, *ReleaseOptions) error) *cobra.Command {
	o := &ReleaseOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Cut the next release from the conventional commits since the last vX.Y.Z tag",
		Long: `release computes the next version from the conventional commits since the
last vX.Y.Z tag (fix: patch, feat: minor, a breaking change: major; before
1.0.0 a breaking change bumps the minor), writes the changelog, builds the
archives for linux/amd64 and linux/arm64 with GoReleaser (.goreleaser.yaml),
checksums.txt and an SBOM, makes the annotated tag, commits CHANGELOG.md,
pushes both, and publishes the GitHub release (with GITHUB_TOKEN set and
--github OWNER/REPO, which defaults to GITHUB_REPOSITORY in Actions). With
TRACKER_HOST set the release is recorded on the released commit's artifacts.
--from-env ENV releases the commit that ENV's latest snapshot runs.
--dry-run shows all of it and changes nothing.`,
		Example: `  pipeline release --dry-run
  pipeline release --from-env prod --github course/minitwit
  pipeline release --remote ''            # tag locally, push nothing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.GitHub == "" {
				o.GitHub = f.IO.Env("GITHUB_REPOSITORY")
			}
			if o.GitHubAPI == "" {
				o.GitHubAPI = f.IO.Env("GITHUB_API_URL")
			}
			if o.FromEnv != "" && cmd.Flags().Changed("rev") {
				return cli.Usagef("--from-env and --rev both name the commit: give one")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runRelease(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Dir, "dir", ".", "the repository to release")
	fl.StringVar(&o.Rev, "rev", "HEAD", "the commit to release")
	fl.StringVar(&o.FromEnv, "from-env", "", "release the commit the tracker's latest snapshot of this environment runs")
	fl.StringVar(&o.Flow, "flow", "minitwit", "the tracker flow whose artifacts are released")
	fl.BoolVar(&o.DryRun, "dry-run", false, "show the version, changelog and every step; change nothing")
	fl.StringVar(&o.Remote, "remote", "origin", "the git remote the tag and changelog commit are pushed to ('' pushes nothing)")
	fl.StringVar(&o.GitHub, "github", "", "publish the GitHub release of OWNER/REPO (default $GITHUB_REPOSITORY; needs GITHUB_TOKEN)")
	fl.StringVar(&o.GitHubAPI, "github-api-url", "", "GitHub's API URL (default $GITHUB_API_URL, else api.github.com)")
	fl.StringVar(&o.Dist, "dist", "", "where the release files go (default dist/release/TAG)")
	fl.StringVar(&o.GoReleaser, "goreleaser", "goreleaser", "the goreleaser binary")
	fl.StringVar(&o.RepoURL, "repo-url", "", "the repository's web URL for changelog links (default from the origin remote)")
	return cmd
}

func runRelease(ctx context.Context, o *ReleaseOptions) error {
	repo := release.Repo{Dir: o.Dir}
	if err := repo.CheckClean(ctx); err != nil {
		return cli.Usagef("%v", err)
	}
	var gh *release.GitHub
	if o.GitHub != "" {
		var err error
		upload := ""
		if o.GitHubAPI != "" {
			upload = strings.Replace(o.GitHubAPI, "://api.", "://uploads.", 1)
		}
		if gh, err = release.NewGitHub(o.GitHub, o.IO.Env("GITHUB_TOKEN"), o.GitHubAPI, upload, o.HTTPClient); err != nil && !o.DryRun {
			return cli.Usagef("%v", err)
		}
		if o.DryRun && gh == nil {
			gh = &release.GitHub{}
			gh.Owner, gh.Repo, _ = strings.Cut(o.GitHub, "/")
		}
	}
	tc, err := trackerClient(o.IO, o.HTTPClient)
	if err != nil {
		return err
	}
	rev := o.Rev
	if o.FromEnv != "" {
		if tc == nil {
			return cli.Usagef("--from-env needs the tracker: set TRACKER_HOST, TRACKER_ORG and TRACKER_API_TOKEN")
		}
		if rev, err = commitRunningIn(ctx, tc, o.FromEnv, o.Flow); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "%s runs %s of flow %s\n", o.FromEnv, rev[:min(7, len(rev))], o.Flow)
	}
	if remote := repo.RemoteURL(ctx, o.Remote); o.Remote != "" && remote == "" {
		return cli.Usagef("--remote %s: no such git remote (use --remote '' to push nothing)", o.Remote)
	}
	p, err := release.MakePlan(ctx, repo, release.PlanOptions{Rev: rev, RepoURL: o.RepoURL})
	if errors.Is(err, release.ErrNothingToRelease) {
		fmt.Fprintf(o.IO.Out, "No release: %v.\n", strings.TrimPrefix(err.Error(), release.ErrNothingToRelease.Error()+": "))
		printUnparsed(o.IO, p)
		return nil
	}
	if err != nil {
		return cli.Usagef("%v", err)
	}
	fmt.Fprintf(o.IO.Out, "%s → %s (%s bump, %d commits since %s)\n", p.Last.Name, p.Tag, p.Bump, len(p.Commits), p.Last.Name)
	printUnparsed(o.IO, p)
	fmt.Fprintf(o.IO.Out, "\n%s\n", p.Changelog)
	opts := release.Options{
		DryRun: o.DryRun, Dist: o.Dist, Remote: o.Remote, GitHub: gh, Out: o.IO.ErrOut,
		Build: release.BuildOptions{GoReleaser: o.GoReleaser, Progress: progressWriter(o.IO)},
	}
	if tc != nil {
		opts.Record = func(ctx context.Context, r release.Result) error { return recordRelease(ctx, tc, o.Flow, r) }
	} else {
		fmt.Fprintln(o.IO.ErrOut, "TRACKER_HOST is not set: the release is not recorded in the tracker")
	}
	res, err := release.Run(ctx, repo, p, opts)
	if err != nil {
		return err
	}
	if !o.DryRun {
		fmt.Fprintf(o.IO.Out, "Released %s: %d files in %s\n", p.Tag, len(res.Artifacts.Files()), opts.Dist)
	}
	return nil
}

// printUnparsed lists the commits that are not conventional: shown, not
// fatal.
func printUnparsed(s *cli.IOStreams, p *release.Plan) {
	if p == nil || len(p.Unparsed) == 0 {
		return
	}
	fmt.Fprintf(s.Out, "%d commits are not conventional commits (listed under Other):\n", len(p.Unparsed))
	for _, c := range p.Unparsed {
		fmt.Fprintf(s.Out, "  %s %v\n", c.Short(), c.Err)
	}
}

// progressWriter passes GoReleaser's output through on a terminal only;
// in CI its dozens of lines would bury the steps.
func progressWriter(s *cli.IOStreams) io.Writer {
	if s.ErrTTY {
		return s.ErrOut
	}
	return nil
}

// trackerClient is the tracker's client from TRACKER_HOST, TRACKER_ORG and
// TRACKER_API_TOKEN, or nil when TRACKER_HOST is unset.
func trackerClient(s *cli.IOStreams, hc *http.Client) (*client.Client, error) {
	host := s.Env("TRACKER_HOST")
	if host == "" {
		return nil, nil
	}
	org := s.Env("TRACKER_ORG")
	if org == "" {
		return nil, cli.Usagef("TRACKER_HOST is set but TRACKER_ORG is not")
	}
	var opts []client.Option
	if hc != nil {
		opts = append(opts, client.WithHTTPClient(hc))
	}
	c, err := client.New(host, org, s.Env("TRACKER_API_TOKEN"), opts...)
	if err != nil {
		return nil, cli.Usagef("TRACKER_HOST: %v", err)
	}
	return c, nil
}

// commitRunningIn is the commit of flow's artifact that env's latest
// snapshot runs. Two running commits (a blue-green deploy in progress) is
// an error naming both: which one is "the version in production" is then
// not a fact yet.
func commitRunningIn(ctx context.Context, c *client.Client, env, flow string) (string, error) {
	s, err := c.GetSnapshot(ctx, env, "")
	if err != nil {
		return "", fmt.Errorf("--from-env %s: %w", env, err)
	}
	commits := map[string]bool{}
	for _, a := range s.Artifacts {
		if a.FlowName == flow && a.Instances > 0 && a.GitCommit != "" {
			commits[a.GitCommit] = true
		}
	}
	var list []string
	for c := range commits {
		list = append(list, c)
	}
	sort.Strings(list)
	switch len(list) {
	case 0:
		return "", fmt.Errorf("--from-env %s: snapshot #%d runs no artifact of flow %s with a commit", env, s.Index, flow)
	case 1:
		return list[0], nil
	}
	return "", fmt.Errorf("--from-env %s: snapshot #%d runs %d commits of flow %s (%s): wait for the deploy to finish", env, s.Index, len(list), flow, strings.Join(list, ", "))
}

// recordRelease attests the release on each artifact of the released
// commit (the image digests the pipeline published), so the tracker shows
// which version an artifact is and `release --from-env` can be checked.
func recordRelease(ctx context.Context, c *client.Client, flow string, r release.Result) error {
	arts, err := c.ArtifactsByCommit(ctx, flow, r.Plan.Commit)
	if err != nil {
		return err
	}
	if len(arts) == 0 {
		return fmt.Errorf("flow %s has no artifact of commit %s to record the release on", flow, r.Plan.Commit)
	}
	data, err := json.Marshal(map[string]any{"version": r.Plan.Version.String(), "tag": r.Plan.Tag, "url": r.ReleaseURL, "changelog": r.Plan.Changelog})
	if err != nil {
		return err
	}
	yes := true
	for _, a := range arts {
		_, err := c.Attest(ctx, flow, r.Plan.Commit, "generic", api.AttestationData{
			AttestationName: "release", ArtifactFingerprint: a.Fingerprint, IsCompliant: &yes,
			Description: "released as " + r.Plan.Tag, UserData: data,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
