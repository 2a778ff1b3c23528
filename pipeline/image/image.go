// Package image builds the kit's container images the way ko does: no
// Dockerfile and no daemon, an empty (scratch) base, one layer made from
// the static binary, and a config written directly, with
// github.com/google/go-containerregistry. Every timestamp in it is the
// commit's time and the layer's tar entries are ordered and owned the same
// way every time, so the same commit always gives the same digest: the
// digest then names the source, and a rebuild in CI, on a laptop or next
// month can be checked against what runs in production.
//
// Images are written as OCI image layouts (a directory) and pushed from
// there by Push.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Nobody is the uid and gid the programs run as (65534, nobody): never
// root, even in a scratch image.
const Nobody = 65534

// Spec describes one image.
type Spec struct {
	// Name is the image's name (minitwit, tracker): the repository it is
	// pushed to under the registry.
	Name string
	// Binary is the static binary to package, as /Name.
	Binary string
	// Args follow the binary in the entrypoint (tracker: serve).
	Args []string
	// Env is the image's environment (KEY=value).
	Env []string
	// Dirs are empty directories owned by Nobody (/data, /tmp).
	Dirs []string
	// Port is the exposed TCP port (0: none).
	Port int
	// Volumes are declared volumes.
	Volumes []string
	// Description is org.opencontainers.image.description.
	Description string
}

// Specs are the kit's images.
var Specs = map[string]Spec{
	"minitwit": {
		Name: "minitwit", Description: "MiniTwit: web UI and simulator API",
		Env:  []string{"TMPDIR=/tmp", "MINITWIT_ADDR=:5000", "MINITWIT_DB=/data/minitwit.db"},
		Dirs: []string{"/data", "/tmp"}, Port: 5000, Volumes: []string{"/data"},
	},
	"tracker": {
		Name: "tracker", Description: "The kit's commit-to-runtime tracker server",
		Args: []string{"serve"},
		Env:  []string{"TMPDIR=/tmp", "TRACKER_ADDR=:8080", "TRACKER_DB=/data/tracker.db"},
		Dirs: []string{"/data", "/tmp"}, Port: 8080, Volumes: []string{"/data"},
	},
}

// Meta is what the labels say about the build.
type Meta struct {
	Version string
	Commit  string
	// Created is the commit's time (org.opencontainers.image.created and
	// every timestamp in the image).
	Created time.Time
	// Source is the repository URL.
	Source string
}

// Labels returns the OCI labels of an image of spec s.
func Labels(s Spec, m Meta) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       s.Name,
		"org.opencontainers.image.description": s.Description,
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.revision":    m.Commit,
		"org.opencontainers.image.created":     m.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.source":      m.Source,
	}
}

// Build assembles the image of spec s around its binary.
func Build(s Spec, m Meta) (v1.Image, error) {
	if m.Created.IsZero() {
		return nil, fmt.Errorf("image %s: no creation time (the commit's time)", s.Name)
	}
	bin, err := os.ReadFile(s.Binary)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Name, err)
	}
	created := m.Created.UTC()
	layerTar, err := layerBytes(s, bin, created)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Name, err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("image %s: layer: %w", s.Name, err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History: v1.History{
			Author:    "pipeline image",
			Created:   v1.Time{Time: created},
			CreatedBy: "pipeline image: /" + s.Name + " from the static binary",
			Comment:   "commit " + m.Commit,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.Name, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", s.Name, err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: created}
	cf.Author = ""
	cf.Config.User = fmt.Sprintf("%d:%d", Nobody, Nobody)
	cf.Config.Entrypoint = append([]string{"/" + s.Name}, s.Args...)
	cf.Config.Cmd = nil
	cf.Config.Env = append([]string(nil), s.Env...)
	cf.Config.Labels = Labels(s, m)
	cf.Config.WorkingDir = "/"
	if s.Port > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{fmt.Sprintf("%d/tcp", s.Port): {}}
	}
	if len(s.Volumes) > 0 {
		cf.Config.Volumes = map[string]struct{}{}
		for _, v := range s.Volumes {
			cf.Config.Volumes[v] = struct{}{}
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", s.Name, err)
	}
	return img, nil
}

// layerBytes is the layer's tar: the directories, then the binary, every
// entry with the same time, owner and mode on every build.
func layerBytes(s Spec, bin []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := func(h *tar.Header) error {
		h.ModTime, h.Format = mtime, tar.FormatPAX
		h.Uname, h.Gname = "", ""
		return tw.WriteHeader(h)
	}
	for _, d := range s.Dirs {
		d = strings.TrimPrefix(path.Clean(d), "/")
		if err := hdr(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, Uid: Nobody, Gid: Nobody}); err != nil {
			return nil, err
		}
	}
	// /etc/passwd and /etc/group name the user, so tools in the image's
	// world (and `docker exec id`) show "nobody" rather than a number.
	etc := map[string]string{
		"etc/passwd": "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
		"etc/group":  "nogroup:x:65534:\n",
	}
	if err := hdr(&tar.Header{Typeflag: tar.TypeDir, Name: "etc/", Mode: 0o755}); err != nil {
		return nil, err
	}
	for _, n := range []string{"etc/group", "etc/passwd"} {
		if err := hdr(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(etc[n]))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(etc[n])); err != nil {
			return nil, err
		}
	}
	if err := hdr(&tar.Header{Typeflag: tar.TypeReg, Name: s.Name, Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Written is an image written to a layout.
type Written struct {
	Digest string
	// Size is the sum of the manifest's, config's and layers' sizes (the
	// compressed size a pull transfers).
	Size int64
}

// WriteLayout writes img as the only image of a fresh OCI layout at dir
// (anything there before is removed).
func WriteLayout(dir string, img v1.Image) (Written, error) {
	if err := os.RemoveAll(dir); err != nil {
		return Written{}, fmt.Errorf("image: layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return Written{}, fmt.Errorf("image: layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img); err != nil {
		return Written{}, fmt.Errorf("image: layout %s: %w", dir, err)
	}
	return Describe(img)
}

// Describe returns img's digest and size.
func Describe(img v1.Image) (Written, error) {
	d, err := img.Digest()
	if err != nil {
		return Written{}, fmt.Errorf("image: digest: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return Written{}, fmt.Errorf("image: manifest: %w", err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return Written{}, fmt.Errorf("image: manifest: %w", err)
	}
	size := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return Written{Digest: d.String(), Size: size}, nil
}

// ReadLayout reads the one image of the OCI layout at dir.
func ReadLayout(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("image: read layout %s: %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("image: read layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("image: read layout %s: %w", dir, err)
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("image: layout %s holds %d images, want 1", dir, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("image: read layout %s: %w", dir, err)
	}
	return img, nil
}

// Push pushes img to repo (HOST[:PORT]/NAME) tagged tag, then asks the
// registry for the manifest's digest and returns the reference pinned by
// it (HOST/NAME@sha256:…). That returned digest, not the local one, is
// the artifact's fingerprint; Push fails if the two differ.
func Push(ctx context.Context, repo, tag string, img v1.Image, opts ...remote.Option) (string, error) {
	ref, err := name.NewTag(repo+":"+tag, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("image: push: bad reference %s:%s: %w", repo, tag, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	if err := remote.Write(ref, img, opts...); err != nil {
		return "", fmt.Errorf("image: push %s: %w", ref, err)
	}
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		return "", fmt.Errorf("image: push %s: read back the digest: %w", ref, err)
	}
	local, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("image: push %s: %w", ref, err)
	}
	if desc.Digest != local {
		return "", fmt.Errorf("image: push %s: the registry holds %s, not the pushed %s", ref, desc.Digest, local)
	}
	return ref.Context().Name() + "@" + desc.Digest.String(), nil
}
