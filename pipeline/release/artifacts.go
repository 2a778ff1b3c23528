package release

import (
	"bufio"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// BuildOptions say how to build the release files.
type BuildOptions struct {
	// GoReleaser is the goreleaser binary (empty: "goreleaser" on PATH).
	GoReleaser string
	// Config is the GoReleaser config, relative to the repository root
	// (empty: .goreleaser.yaml).
	Config string
	// Progress, when set, receives GoReleaser's output.
	Progress io.Writer
}

// Artifacts are the files of a release.
type Artifacts struct {
	Archives  []string // the tar.gz archives
	Checksums string   // checksums.txt, in sha256sum format
	SBOM      string   // the SPDX document of every binary's modules
	Binaries  []string // the built binaries, os_arch/name
}

// Files are all of the artifacts' files, for uploading.
func (a Artifacts) Files() []string {
	return append(append([]string{}, a.Archives...), a.Checksums, a.SBOM)
}

// BuildArtifacts builds the release files of p into dir: GoReleaser runs in
// a temporary worktree at the released commit (with this release's
// changelog section already written, so the archives carry it), making the
// archives for linux/amd64 and linux/arm64 and checksums.txt; then an SBOM
// is written from the modules the Go toolchain embedded in each binary,
// and the checksums are verified against the files.
func BuildArtifacts(ctx context.Context, repo Repo, p *Plan, dir string, o BuildOptions) (Artifacts, error) {
	bin := o.GoReleaser
	if bin == "" {
		bin = "goreleaser"
	}
	if _, err := exec.LookPath(bin); err != nil {
		return Artifacts{}, fmt.Errorf("goreleaser not found (%s): install it with go install github.com/goreleaser/goreleaser/v2@v2.15.1", bin)
	}
	config := o.Config
	if config == "" {
		config = ".goreleaser.yaml"
	}
	wt, err := os.MkdirTemp("", "release-"+p.Tag+"-")
	if err != nil {
		return Artifacts{}, err
	}
	defer os.RemoveAll(wt)
	if _, err := repo.git(ctx, "worktree", "add", "--detach", "--force", wt, p.Commit); err != nil {
		return Artifacts{}, err
	}
	defer func() { _, _ = repo.git(context.WithoutCancel(ctx), "worktree", "remove", "--force", wt) }()
	if err := PrependChangelog(filepath.Join(wt, "CHANGELOG.md"), p.Changelog); err != nil {
		return Artifacts{}, err
	}
	cmd := exec.CommandContext(ctx, bin, "release", "--clean", "--skip=publish,announce,validate", "--config", config)
	cmd.Dir = wt
	cmd.Env = append(os.Environ(),
		"GORELEASER_CURRENT_TAG="+p.Tag,
		"GORELEASER_PREVIOUS_TAG="+p.Last.Name,
	)
	var tail tailBuffer
	var out io.Writer = &tail
	if o.Progress != nil {
		out = io.MultiWriter(&tail, o.Progress)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return Artifacts{}, fmt.Errorf("goreleaser: %v: %s", err, tail.last())
	}
	return collect(filepath.Join(wt, "dist"), dir, p)
}

// collect copies the archives and checksums out of GoReleaser's dist,
// writes the SBOM and checks every checksum.
func collect(dist, dir string, p *Plan) (Artifacts, error) {
	var a Artifacts
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return a, err
	}
	archives, err := filepath.Glob(filepath.Join(dist, "*.tar.gz"))
	if err != nil || len(archives) == 0 {
		return a, fmt.Errorf("goreleaser made no archives in %s", dist)
	}
	for _, src := range append(archives, filepath.Join(dist, "checksums.txt")) {
		dst := filepath.Join(dir, filepath.Base(src))
		if err := copyFile(src, dst); err != nil {
			return a, err
		}
		if strings.HasSuffix(dst, ".tar.gz") {
			a.Archives = append(a.Archives, dst)
		} else {
			a.Checksums = dst
		}
	}
	if err := VerifyChecksums(a.Checksums); err != nil {
		return a, err
	}
	bins, err := binaries(dist)
	if err != nil {
		return a, err
	}
	a.SBOM = filepath.Join(dir, "sbom.spdx.json")
	if err := writeSBOM(a.SBOM, p, dist, bins); err != nil {
		return a, err
	}
	a.Binaries = bins
	return a, nil
}

// binaries lists the executables GoReleaser built, relative to dist.
func binaries(dist string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dist, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Dir(path) == dist {
			return err
		}
		if info, err := d.Info(); err == nil && info.Mode()&0o111 != 0 {
			rel, _ := filepath.Rel(dist, path)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// VerifyChecksums recomputes the SHA-256 of every file a sha256sum-format
// checksums file names (relative to its directory) and fails on the first
// mismatch or missing file.
func VerifyChecksums(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checksums: %w", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return fmt.Errorf("checksums %s: line %q is not sha256sum format", path, sc.Text())
		}
		got, err := fileSHA256(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			return fmt.Errorf("checksums: %w", err)
		}
		if got != sum {
			return fmt.Errorf("checksums: %s has SHA-256 %s, checksums.txt says %s", name, got, sum)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("checksums %s: empty", path)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// spdxPackage is one package of an SPDX 2.3 document.
type spdxPackage struct {
	Name             string    `json:"name"`
	SPDXID           string    `json:"SPDXID"`
	VersionInfo      string    `json:"versionInfo,omitempty"`
	DownloadLocation string    `json:"downloadLocation"`
	FilesAnalyzed    bool      `json:"filesAnalyzed"`
	Checksums        []spdxSum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef `json:"externalRefs,omitempty"`
}

type spdxSum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRel struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// writeSBOM writes an SPDX 2.3 JSON document: each binary (with its
// SHA-256), the Go modules it was built from (read from the binary), and
// which contains which. It is deterministic for a commit.
func writeSBOM(path string, p *Plan, dist string, bins []string) error {
	doc := struct {
		SPDXVersion       string        `json:"spdxVersion"`
		DataLicense       string        `json:"dataLicense"`
		SPDXID            string        `json:"SPDXID"`
		Name              string        `json:"name"`
		DocumentNamespace string        `json:"documentNamespace"`
		CreationInfo      any           `json:"creationInfo"`
		Packages          []spdxPackage `json:"packages"`
		Relationships     []spdxRel     `json:"relationships"`
	}{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              "minitwit-cd-kit-" + p.Tag,
		DocumentNamespace: "https://spdx.org/spdxdocs/minitwit-cd-kit-" + p.Tag + "-" + p.Commit,
		CreationInfo: map[string]any{
			"created":  p.Date.UTC().Format("2006-01-02T15:04:05Z"),
			"creators": []string{"Tool: minitwit-cd-kit-pipeline-release"},
		},
	}
	mods := map[string]spdxPackage{}
	for i, rel := range bins {
		full := filepath.Join(dist, rel)
		bi, err := buildinfo.ReadFile(full)
		if err != nil {
			return fmt.Errorf("sbom: read build info of %s: %w", rel, err)
		}
		sum, err := fileSHA256(full)
		if err != nil {
			return err
		}
		id := fmt.Sprintf("SPDXRef-Binary-%d", i)
		doc.Packages = append(doc.Packages, spdxPackage{
			Name: rel, SPDXID: id, VersionInfo: p.Version.String(), DownloadLocation: "NOASSERTION",
			Checksums: []spdxSum{{"SHA256", sum}},
		})
		doc.Relationships = append(doc.Relationships, spdxRel{"SPDXRef-DOCUMENT", "DESCRIBES", id})
		for _, d := range bi.Deps {
			m := d
			if d.Replace != nil {
				m = d.Replace
			}
			mid := "SPDXRef-Module-" + spdxSafe(m.Path+"-"+m.Version)
			mods[mid] = spdxPackage{
				Name: m.Path, SPDXID: mid, VersionInfo: m.Version, DownloadLocation: "NOASSERTION",
				ExternalRefs: []spdxRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + m.Path + "@" + m.Version}},
			}
			doc.Relationships = append(doc.Relationships, spdxRel{id, "CONTAINS", mid})
		}
	}
	ids := make([]string, 0, len(mods))
	for id := range mods {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		doc.Packages = append(doc.Packages, mods[id])
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// spdxSafe keeps the characters an SPDX identifier may hold.
func spdxSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// tailBuffer keeps the last lines written to it, for an error message.
type tailBuffer struct{ lines []string }

func (t *tailBuffer) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			t.lines = append(t.lines, l)
			if len(t.lines) > 5 {
				t.lines = t.lines[1:]
			}
		}
	}
	return len(b), nil
}

func (t *tailBuffer) last() string {
	if len(t.lines) == 0 {
		return "no output"
	}
	return t.lines[len(t.lines)-1]
}
