package deploy

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Target is the VM a deploy talks to.
type Target struct {
	// User and Addr (host:port) say where to log in.
	User, Addr string
	// KnownHosts is the known_hosts file that pins the VM's host key.
	// Required: host-key checking is never off.
	KnownHosts string
	// Signer is the deploy key (the CI's private key).
	Signer ssh.Signer
	// Dir is the deploy directory on the VM (default DefaultDir).
	Dir string
	// DialTimeout bounds the TCP connect and SSH handshake (default 10 s).
	DialTimeout time.Duration
}

// DefaultDir is the deploy directory provision.sh makes.
const DefaultDir = "/srv/minitwit"

// ParseHost splits USER@HOST[:PORT] (port 22 when absent).
func ParseHost(s string) (user, addr string, err error) {
	user, host, ok := strings.Cut(s, "@")
	if !ok || user == "" || host == "" {
		return "", "", fmt.Errorf("host %q: want USER@HOST[:PORT]", s)
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("host %q: bad port %q", s, p)
		}
		return user, net.JoinHostPort(h, p), nil
	}
	if strings.ContainsAny(host, ":[]") && !strings.HasPrefix(host, "[") {
		return "", "", fmt.Errorf("host %q: want USER@HOST[:PORT] (IPv6 as [ADDR]:PORT)", s)
	}
	return user, net.JoinHostPort(strings.Trim(host, "[]"), "22"), nil
}

// LoadKey reads a private key file (OpenSSH or PEM, unencrypted).
func LoadKey(path string) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("deploy key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("deploy key %s: %w", path, err)
	}
	return s, nil
}

// ErrHostKey is wrapped by every host-key failure: a key not in the
// known_hosts file, or one different from the key it pins.
var ErrHostKey = errors.New("host key not trusted")

// conn is one SSH connection with an SFTP session on it.
type conn struct {
	addr string
	ssh  *ssh.Client
	sftp *sftp.Client
}

func dial(ctx context.Context, t Target) (*conn, error) {
	if t.KnownHosts == "" {
		return nil, errors.New("connect: a known_hosts file is required (host-key checking is never off)")
	}
	if t.Signer == nil {
		return nil, errors.New("connect: no deploy key")
	}
	check, err := knownhosts.New(t.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("connect: known hosts: %w", err)
	}
	timeout := t.DialTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: t.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(t.Signer)},
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			seen = key
			return check(hostname, remote, key)
		},
		// Ask for the key type the file pins, so a host with several keys
		// offers the one we can check.
		HostKeyAlgorithms: pinnedAlgorithms(check, t.Addr),
		Timeout:           timeout,
	}
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s@%s: %w", t.User, t.Addr, err)
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	sc, chans, reqs, err := ssh.NewClientConn(nc, t.Addr, cfg)
	if err != nil {
		nc.Close()
		return nil, hostKeyError(t, seen, err)
	}
	_ = nc.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	fc, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("connect to %s: sftp: %w", t.Addr, err)
	}
	return &conn{addr: t.Addr, ssh: client, sftp: fc}, nil
}

// pinnedAlgorithms lists the host-key algorithms of the keys known_hosts
// pins for addr (nil: none pinned, let the handshake fail on the key
// offered). It asks the callback about a key no file holds: the KeyError
// lists the keys it wanted.
func pinnedAlgorithms(check ssh.HostKeyCallback, addr string) []string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := check(addr, &net.TCPAddr{}, probe); !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

// hostKeyError turns knownhosts' error into one line naming the key seen.
func hostKeyError(t Target, seen ssh.PublicKey, err error) error {
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || seen == nil {
		return fmt.Errorf("connect to %s@%s: %w", t.User, t.Addr, err)
	}
	fp := seen.Type() + " " + ssh.FingerprintSHA256(seen)
	if len(ke.Want) == 0 {
		return fmt.Errorf("connect to %s: %w: %s offered %s, which %s does not list (check it out of band, then add: %s)",
			t.Addr, ErrHostKey, t.Addr, fp, t.KnownHosts, knownhosts.Line([]string{knownhosts.Normalize(t.Addr)}, seen))
	}
	want := make([]string, 0, len(ke.Want))
	for _, k := range ke.Want {
		want = append(want, ssh.FingerprintSHA256(k.Key)+" ("+k.Filename+":"+strconv.Itoa(k.Line)+")")
	}
	return fmt.Errorf("connect to %s: %w: host key CHANGED: %s offered %s, known_hosts pins %s (a reinstalled VM, or someone in the middle)",
		t.Addr, ErrHostKey, t.Addr, fp, strings.Join(want, ", "))
}

func (c *conn) Close() error {
	c.sftp.Close()
	return c.ssh.Close()
}

// run runs a shell command on the VM and returns its standard output; a
// failure carries its standard error.
func (c *conn) run(ctx context.Context, cmd string) (string, error) {
	s, err := c.ssh.NewSession()
	if err != nil {
		return "", fmt.Errorf("ssh session: %w", err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGKILL)
		return "", ctx.Err()
	}
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		if i := strings.LastIndex(msg, "\n"); i >= 0 && len(msg) > 600 {
			msg = "…" + msg[len(msg)-600:]
		}
		return "", fmt.Errorf("%s: %w: %s", firstWords(cmd), err, msg)
	}
	return out.String(), nil
}

func firstWords(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) > 6 {
		f = f[:6]
	}
	return strings.Join(f, " ")
}

// writeFile writes a file atomically: a temporary file beside it, then a
// POSIX rename over it, so a reader sees the old or the new content.
func (c *conn) writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := c.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := c.sftp.PosixRename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readFile reads a file; os.ErrNotExist when it is not there.
func (c *conn) readFile(path string) ([]byte, error) {
	f, err := c.sftp.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// quote makes s one word for the VM's shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
