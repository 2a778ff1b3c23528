// Package vm builds and runs the local stand-in for the kit's deploy VM: a
// Debian bookworm system container made from Debian's own packages
// (debootstrap, docker import), provisioned by the same
// vagrant/provision.sh that provisions the DigitalOcean droplet, and booted
// with systemd as PID 1 so that its Docker engine, sshd, nginx and the
// tracker's snapshot timer run as they do on a droplet. See
// ../shared/notes/vm-container.md for the flags and remounts this needs.
//
// The pieces:
//
//   - BuildImage builds (or finds in the Docker engine's cache) two image
//     layers, each tagged by a hash of its inputs: the debootstrap base
//     (suite, mirror, the package list provision.sh prints) and the
//     provisioned image (the base, provision.sh, the stand-in's init and
//     Docker daemon settings). A second build with the same inputs is a
//     `docker image inspect`. To force a rebuild remove the tags
//     (`docker rmi minitwit-vm:<hash> minitwit-vm-base:<hash>`) or set
//     MINITWIT_VM_REBUILD=1.
//   - A Lab is one Docker network with a registry container on it
//     (Debian's docker-registry binary in a FROM scratch image, reachable
//     as registry:5000 inside the network and on a loopback port from the
//     host) and the VMs started in it.
//   - A VM is one named container with SSH and HTTP published on random
//     127.0.0.1 ports, a fresh ed25519 host key, and the deploy user's
//     authorized key set at start; Close removes it with its volumes.
//
// Everything goes through the docker CLI rather than the Engine API: the
// notes' flags (--device-cgroup-rule, --security-opt, --tmpfs, port
// publishing) are the CLI's, `docker import` and `docker cp` take streams
// and paths directly, and the CLI is already what the kit's scripts and
// testenv.Docker require. Progress goes to an io.Writer as plain lines;
// the package never logs or exits.
package vm
