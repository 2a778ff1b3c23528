package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/pipeline/image"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// ImageNames are the images pipeline image makes, in order.
var ImageNames = []string{"minitwit", "tracker"}

// ImageOptions are pipeline image's.
type ImageOptions struct {
	Root *RootOptions
}

// NewCmdImage builds `pipeline image`.
func NewCmdImage(f *Factory, ro *RootOptions, runF func(context.Context, *ImageOptions) error) *cobra.Command {
	o := &ImageOptions{Root: ro}
	c := &cobra.Command{
		Use:   "image",
		Short: "Build FROM scratch images of minitwit and tracker, same commit, same digest",
		Long: `image packages the built minitwit and tracker binaries into FROM scratch
images the way ko does (go-containerregistry: one layer from the binary, a
config written directly, no Dockerfile, no daemon): non-root (uid 65534),
with the OCI labels org.opencontainers.image.revision, .version, .source and
.created. Every timestamp is the commit's, so the same commit always gives
the same digest. Each image is written as an OCI layout under
.pipeline/images/NAME; publish pushes it.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runImage(c.Context(), f, o, f.IO.Out)
		},
	}
	return c
}

func runImage(ctx context.Context, f *Factory, o *ImageOptions, out io.Writer) error {
	w, err := o.Root.open(ctx, f, out)
	if err != nil {
		return err
	}
	s, err := w.load()
	if err != nil {
		return usage(err)
	}
	b, err := s.RequireBuild(ImageNames...)
	if err != nil {
		return usage(err)
	}
	s.Images = map[string]state.Image{}
	meta := image.Meta{Version: s.Version, Commit: s.Commit, Created: s.CommitTime, Source: s.Source}
	for _, n := range ImageNames {
		spec := image.Specs[n]
		spec.Binary = b.Binaries[n].Path
		img, err := image.Build(spec, meta)
		if err != nil {
			return err
		}
		dir := filepath.Join(w.workDir("images"), n)
		wr, err := image.WriteLayout(dir, img)
		if err != nil {
			return err
		}
		s.Images[n] = state.Image{Layout: dir, Digest: wr.Digest, Size: wr.Size}
		fmt.Fprintf(out, "image: %-8s %s  %.1f MB  %s\n", n, wr.Digest, float64(wr.Size)/1e6, dir)
	}
	return w.save(s)
}
