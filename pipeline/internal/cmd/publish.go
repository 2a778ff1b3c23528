package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/gitinfo"
	"github.com/minitwit-cd/kit/pipeline/image"
	"github.com/minitwit-cd/kit/pipeline/record"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// PublishOptions are pipeline publish's.
type PublishOptions struct {
	Root     *RootOptions
	Registry string
	// PullAs is the registry's name as the deploy targets see it.
	PullAs string
}

// NewCmdPublish builds `pipeline publish`.
func NewCmdPublish(f *Factory, ro *RootOptions, runF func(context.Context, *PublishOptions) error) *cobra.Command {
	o := &PublishOptions{Root: ro}
	c := &cobra.Command{
		Use:   "publish --registry HOST[:PORT]",
		Short: "Push the images; the registry's digest becomes the tracker artifact",
		Long: `publish pushes the images of pipeline image to the registry (tagged with the
short commit), reads back the digest the registry holds, and attests each
as a tracker artifact whose fingerprint is that digest, with the commit,
the commit URL and the build URL (GITHUB_SERVER_URL, GITHUB_REPOSITORY,
GITHUB_RUN_ID in GitHub Actions). Nothing is published when the commit's
tests failed or did not run. The state keeps the references pinned by
digest: deploys never name a tag.`,
		Example: `  pipeline publish --registry 127.0.0.1:5000
  pipeline publish --registry 127.0.0.1:41234 --pull-as registry:5000`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runPublish(c.Context(), f, o, f.IO.Out)
		},
	}
	c.Flags().StringVar(&o.Registry, "registry", "", "registry to push to, HOST[:PORT] (required)")
	c.Flags().StringVar(&o.PullAs, "pull-as", "", "the registry's HOST[:PORT] as the deploy targets reach it (default: --registry)")
	return c
}

func checkRegistry(flag, r string) error {
	if r == "" || strings.ContainsAny(r, "/@ ") || strings.Contains(r, "://") {
		return cli.Usagef("%s %q: want HOST[:PORT], without a scheme or path", flag, r)
	}
	return nil
}

func runPublish(ctx context.Context, f *Factory, o *PublishOptions, out io.Writer) error {
	if err := checkRegistry("--registry", o.Registry); err != nil {
		return err
	}
	if o.PullAs == "" {
		o.PullAs = o.Registry
	}
	if err := checkRegistry("--pull-as", o.PullAs); err != nil {
		return err
	}
	w, err := o.Root.open(ctx, f, out)
	if err != nil {
		return err
	}
	s, err := w.load()
	if err != nil {
		return usage(err)
	}
	if _, err := s.RequirePassedTests(); err != nil {
		return cli.Failed(err)
	}
	imgs, err := s.RequireImages(ImageNames...)
	if err != nil {
		return usage(err)
	}
	s.Publish = &state.Publish{Registry: o.Registry, PullRegistry: o.PullAs, Refs: map[string]string{}}
	ci := gitinfo.FromEnv(w.f.IO.Env)
	tr := w.trail()
	var what []string
	for _, n := range ImageNames {
		img, err := image.ReadLayout(imgs[n].Layout)
		if err != nil {
			return err
		}
		pushed, err := image.Push(ctx, o.Registry+"/"+n, w.head.Short(), img, remote.WithAuthFromKeychain(registryKeychain(f.IO)))
		if err != nil {
			s.Publish.Failed = err.Error()
			_ = w.save(s)
			return err
		}
		_, digest, _ := strings.Cut(pushed, "@")
		ref := o.PullAs + "/" + n + "@" + digest
		if err := state.CheckDigestRef(ref); err != nil {
			return err
		}
		s.Publish.Refs[n] = ref
		fmt.Fprintf(out, "publish: %s\n", pushed)
		if err := w.rec.Artifact(ctx, record.Artifact{
			Flow: n, Fingerprint: strings.TrimPrefix(digest, "sha256:"), Name: o.PullAs + "/" + n + ":" + w.head.Short(),
			Trail: tr, RepoURL: ci.RepoURL(DefaultSource), BuildURL: ci.BuildURL(), CommitURL: tr.CommitURL,
		}); err != nil {
			_ = w.save(s)
			return err
		}
		what = append(what, "artifact "+n+"@"+digest)
	}
	w.recorded(s, "publish", what...)
	return w.save(s)
}

// registryKeychain is the credentials publish pushes with: REGISTRY_USER
// and REGISTRY_PASSWORD when both are set (GitHub Actions passes the
// workflow's token for GHCR this way), else the Docker config's
// (docker login), else anonymous, as a local registry wants.
func registryKeychain(s *cli.IOStreams) authn.Keychain {
	user, pass := s.Env("REGISTRY_USER"), s.Env("REGISTRY_PASSWORD")
	if user != "" && pass != "" {
		return staticKeychain{authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})}
	}
	return authn.DefaultKeychain
}

// staticKeychain answers every registry with one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
