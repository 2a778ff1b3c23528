#!/usr/bin/env bash
# provision.sh: the one provisioning script for every MiniTwit VM: the
# DigitalOcean droplet the Vagrantfile creates and the local stand-in that
# pipeline/vm builds (a Debian bookworm system container). Run it as root;
# it is idempotent, so running it again only repairs what drifted.
#
# It sets up:
#   - Docker and Compose (Debian's docker.io and docker-compose);
#   - nginx as the front on :80, proxying to the upstream file the deploy
#     switches (/etc/nginx/minitwit/upstream.conf, writable by `deploy`);
#   - a `deploy` user with the CI's public key, in the docker group, allowed
#     by sudo exactly `nginx -t` and `nginx -s reload`;
#   - sshd with key login only;
#   - a firewall (nftables, its own table) allowing only 22 and 80 in;
#   - the deploy directory (/srv/minitwit, owned by deploy);
#   - `tracker snapshot docker ENV` every minute on a systemd timer.
#
# Environment:
#   DEPLOY_AUTHORIZED_KEYS  required: the CI's public key(s), authorized_keys lines
#   DEPLOY_DIR              the deploy directory (default /srv/minitwit)
#   TRACKER_BINARY          a tracker binary to install as /usr/local/bin/tracker
#   TRACKER_ENV             the environment the snapshots report (e.g. prod)
#   TRACKER_HOST, TRACKER_ORG, TRACKER_API_TOKEN
#                           where the snapshots go; written to /etc/minitwit/tracker.env
#                           (mode 0600). The timer runs only once both the
#                           binary and that file exist.
#   DOCKER_DAEMON_JSON      contents for /etc/docker/daemon.json (the stand-in
#                           sets bip, address pools, mtu, insecure registries;
#                           a droplet needs none)
#
# `provision.sh --print-packages` prints the Debian packages it needs, one
# a line, so an image builder can preinstall exactly these.
set -euo pipefail

PACKAGES=(
  ca-certificates curl iproute2 procps sudo
  openssh-server
  docker.io docker-compose
  nginx
  nftables
  systemd systemd-sysv dbus
)

if [ "${1:-}" = "--print-packages" ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi
if [ $# -ne 0 ]; then
  echo "usage: $0 [--print-packages]   (configuration comes from the environment; see the header)" >&2
  exit 2
fi

say() { echo "provision: $*"; }
warn() { echo "provision: WARNING: $*" >&2; }
die() {
  echo "provision: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -n "${DEPLOY_AUTHORIZED_KEYS:-}" ] || die "DEPLOY_AUTHORIZED_KEYS is required (the CI's public key)"
case "$DEPLOY_AUTHORIZED_KEYS" in
  ssh-* | ecdsa-* | sk-*) ;;
  *) die "DEPLOY_AUTHORIZED_KEYS does not look like a public key (want 'ssh-ed25519 AAAA...')" ;;
esac
DEPLOY_DIR=${DEPLOY_DIR:-/srv/minitwit}

# systemd running (a droplet, or the stand-in booted): services are
# (re)started now. Not running (an image build): they are only enabled and
# start at the next boot.
booted=false
if [ -d /run/systemd/system ]; then
  booted=true
fi
restart() {
  if $booted; then
    systemctl restart "$@"
  fi
}

# --- packages -------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "packages present"
fi

# --- Docker ---------------------------------------------------------------
if [ -n "${DOCKER_DAEMON_JSON:-}" ]; then
  mkdir -p /etc/docker
  printf '%s\n' "$DOCKER_DAEMON_JSON" >/etc/docker/daemon.json
  say "wrote /etc/docker/daemon.json"
fi
systemctl enable docker.service containerd.service >/dev/null 2>&1
restart docker.service

# --- the deploy user --------------------------------------------------------
if ! id deploy >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash deploy
  say "created user deploy"
fi
usermod -aG docker deploy
passwd -l deploy >/dev/null
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
printf '%s\n' "$DEPLOY_AUTHORIZED_KEYS" >/home/deploy/.ssh/authorized_keys
chown deploy:deploy /home/deploy/.ssh/authorized_keys
chmod 0600 /home/deploy/.ssh/authorized_keys

# The deploy switches nginx's upstream and reloads it: exactly these two
# commands as root, nothing else.
sudoers=/etc/sudoers.d/minitwit-deploy
cat >"$sudoers.tmp" <<'EOF'
deploy ALL=(root) NOPASSWD: /usr/sbin/nginx -t, /usr/sbin/nginx -s reload
EOF
chmod 0440 "$sudoers.tmp"
visudo -cqf "$sudoers.tmp" || die "sudoers rule does not parse"
mv "$sudoers.tmp" "$sudoers"

# --- the deploy directory ---------------------------------------------------
install -d -m 0750 -o deploy -g deploy "$DEPLOY_DIR" "$DEPLOY_DIR/state"

# --- sshd: keys only ----------------------------------------------------------
cat >/etc/ssh/sshd_config.d/10-minitwit.conf <<'EOF'
# Written by provision.sh: key login only.
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
# root keeps key login (the Vagrant provider re-provisions as root).
PermitRootLogin prohibit-password
X11Forwarding no
# The deployer reaches the new colour's health endpoints through local
# forwards to 127.0.0.1; nothing else is forwarded.
AllowTcpForwarding local
AllowAgentForwarding no
EOF
mkdir -p /run/sshd
sshd -t || die "sshd configuration does not validate"
systemctl enable ssh.service >/dev/null 2>&1
restart ssh.service

# --- nginx --------------------------------------------------------------------
install -d -m 0755 -o deploy -g deploy /etc/nginx/minitwit
upstream=/etc/nginx/minitwit/upstream.conf
if [ ! -f "$upstream" ]; then
  # Nothing deployed yet: every request gets 502 until the first deploy
  # writes the colour's servers here.
  cat >"$upstream" <<'EOF'
upstream minitwit {
    server 127.0.0.1:65535 down;
}
EOF
  chown deploy:deploy "$upstream"
fi
cat >/etc/nginx/sites-available/minitwit <<'EOF'
# Written by provision.sh. The deploy rewrites only the upstream file.
include /etc/nginx/minitwit/upstream.conf;

server {
    listen 80 default_server;
    server_name _;

    location / {
        proxy_pass http://minitwit;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        # A replica that went away mid-switch: try the next one.
        proxy_next_upstream error timeout http_502 http_503;
    }
}
EOF
rm -f /etc/nginx/sites-enabled/default
ln -sf /etc/nginx/sites-available/minitwit /etc/nginx/sites-enabled/minitwit
nginx -t -q || die "nginx configuration does not validate"
systemctl enable nginx.service >/dev/null 2>&1
restart nginx.service

# --- firewall -------------------------------------------------------------------
# nftables with a table of its own (no `flush ruleset`), so reloading it
# never removes the chains Docker adds for its containers.
cat >/etc/nftables.conf <<'EOF'
#!/usr/sbin/nft -f
# Written by provision.sh: only 22 (ssh) and 80 (http) in.
table inet minitwit_filter
delete table inet minitwit_filter
table inet minitwit_filter {
    chain input {
        type filter hook input priority 0; policy drop;
        iif lo accept
        ct state established,related accept
        ct state invalid drop
        meta l4proto { icmp, ipv6-icmp } accept
        tcp dport { 22, 80 } accept
    }
}
EOF
systemctl enable nftables.service >/dev/null 2>&1
if $booted; then
  if ! systemctl restart nftables.service; then
    warn "the firewall could not be loaded (nftables; a container without netfilter access cannot): 22 and 80 are configured but NOT enforced"
  fi
fi

# --- tracker snapshots every minute ----------------------------------------------
install -d -m 0755 /etc/minitwit
if [ -n "${TRACKER_BINARY:-}" ]; then
  install -m 0755 "$TRACKER_BINARY" /usr/local/bin/tracker
  say "installed /usr/local/bin/tracker"
fi
if [ -n "${TRACKER_HOST:-}" ]; then
  [ -n "${TRACKER_ENV:-}" ] || die "TRACKER_ENV is required with TRACKER_HOST (the environment to report)"
  umask 077
  cat >/etc/minitwit/tracker.env <<EOF
TRACKER_ENV=$TRACKER_ENV
TRACKER_HOST=$TRACKER_HOST
TRACKER_ORG=${TRACKER_ORG:-}
TRACKER_API_TOKEN=${TRACKER_API_TOKEN:-}
EOF
  umask 022
  say "wrote /etc/minitwit/tracker.env (environment $TRACKER_ENV)"
fi
cat >/etc/systemd/system/tracker-snapshot.service <<'EOF'
[Unit]
Description=Report the running containers to the tracker
After=docker.service
Wants=docker.service
ConditionPathExists=/usr/local/bin/tracker
ConditionPathExists=/etc/minitwit/tracker.env

[Service]
Type=oneshot
EnvironmentFile=/etc/minitwit/tracker.env
ExecStart=/usr/local/bin/tracker snapshot docker ${TRACKER_ENV}
EOF
cat >/etc/systemd/system/tracker-snapshot.timer <<'EOF'
[Unit]
Description=Report the running containers to the tracker every minute

[Timer]
OnCalendar=*-*-* *:*:00
AccuracySec=1s

[Install]
WantedBy=timers.target
EOF
if $booted; then
  systemctl daemon-reload
fi
systemctl enable tracker-snapshot.timer >/dev/null 2>&1
restart tracker-snapshot.timer

say "done"
