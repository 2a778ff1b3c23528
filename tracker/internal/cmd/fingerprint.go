package cmd

import (
	"fmt"
	"os"
	"time"

	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// FingerprintOptions are the options of fingerprint.
type FingerprintOptions struct {
	f       *Factory
	Path    string
	Docker  string
	Exclude []string
}

// NewCmdFingerprint prints the fingerprint of a file, a directory or a
// Docker image; it needs no server.
func NewCmdFingerprint(f *Factory, runF func(*FingerprintOptions) error) *cobra.Command {
	opts := &FingerprintOptions{f: f}
	cmd := &cobra.Command{
		Use:   "fingerprint {PATH | --docker IMAGE}",
		Short: "Print the SHA-256 fingerprint of a file, directory or Docker image",
		Long: `Print a fingerprint as the tracker (and Kosli) computes it: a file's
content hash, a directory's tree hash (names and contents, symlinks to
directories by their target text), or an image's repository digest.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Docker != "" && len(args) > 0 {
				return usageErrorf("give a PATH or --docker IMAGE, not both")
			}
			if opts.Docker == "" && len(args) != 1 {
				return usageErrorf("fingerprint expects one PATH (or --docker IMAGE)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Path = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			var fp string
			var err error
			if opts.Docker != "" {
				fp, err = artifactFingerprint(cmd.Context(), f, opts.Docker, "", "docker", nil)
			} else {
				fp, err = fingerprintPath(f, opts.Path, opts.Exclude)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, fp)
			return err
		},
	}
	cmd.Flags().StringVar(&opts.Docker, "docker", "", "a Docker image (its repository digest)")
	cmd.Flags().StringSliceVarP(&opts.Exclude, "exclude", "x", nil, "globs to leave out of a directory (repeatable, comma-separated)")
	return cmd
}

// fingerprintPath fingerprints a file or directory; on a terminal a
// spinner on stderr counts the files of a directory as they are read.
func fingerprintPath(f *Factory, path string, exclude []string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", path, err)
	}
	if !info.IsDir() {
		return fingerprint.File(path)
	}
	if !f.IO.OutTTY {
		return fingerprint.Dir(path, exclude)
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(f.IO.ErrOut),
		progressbar.OptionSetDescription("fingerprinting "+path),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	fp, err := fingerprint.DirProgress(path, exclude, func() { _ = bar.Add(1) })
	_ = bar.Finish()
	return fp, err
}
