# xvrrp container image: a drop-in for quay.io/openshift/origin-keepalived-ipfailover.
# The pod spec, the OPENSHIFT_HA_* environment and the check/notify scripts stay as they are; only
# the image name changes (see deploy/ and docs/migrating-from-keepalived-ipfailover.md).
#
#   docker build -t quay.io/xvrrp/xvrrp:latest .
#
# The build stage is scripts/build-stage.sh, the same script tests/packaging runs, so the test
# checks what the image gets.

FROM debian:bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when the dependency list changes.
COPY scripts/install-deps.sh scripts/build-stage.sh /src/scripts/
RUN bash scripts/build-stage.sh --deps-only && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN bash scripts/build-stage.sh --prefix /stage/usr/local --build-dir /tmp/build

FROM debian:bookworm-slim
# Runtime libraries of xvrrpd and xvrrpctl (the Debian names; the packaging test checks that every
# library the binaries load comes from this list or from the base image), nftables for the VRRP
# accept rule (OPENSHIFT_HA_IPTABLES_CHAIN), iproute2 for operators, tini and mount (PID 1 and
# the entrypoint, below), and the small tools that
# check and notify scripts written for the keepalived image commonly call (that image shipped
# iproute, psmisc, nmap-ncat, net-tools and procps).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libbpf1 libxdp1 libelf1 zlib1g libnl-3-200 libnl-route-3-200 libspdlog1.10 libfmt9 libcap2 \
      nftables iproute2 tini mount \
      procps psmisc netcat-openbsd net-tools curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /stage/usr/local/ /usr/local/

LABEL io.k8s.display-name="xvrrp IP failover" \
      io.k8s.description="VRRP IP failover with an XDP data plane; runs the OPENSHIFT_HA_* contract of the keepalived ipfailover image." \
      io.openshift.tags="openshift,ha,ip,failover,vrrp"
# /healthz, /metrics and /status (XVRRP_HTTP_ADDR); also the hostPort that keeps two pods of one
# configuration off the same node, as in the keepalived deployment.
EXPOSE 63000
# tini as PID 1: xvrrpd reaps the scripts it starts, but what those scripts leave behind (a curl
# still running when a timed-out check's process group is killed, a backgrounded command) is
# re-parented to PID 1. Without an init that reaps, those zombies pile up at every check interval
# until the pod cannot fork. tini forwards SIGTERM to xvrrpd and exits with its status.
# The entrypoint script (scripts/container-entrypoint.sh) mounts a pod-local bpffs when the pod
# has none and may mount one (the page's privileged Deployment), then starts xvrrpd through its
# symlink keepalived-xvrrpd: the process is named "keepalived-xvrr", so a Deployment that kept the
# page's liveness probe (`pgrep keepalived`) does not restart it.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/lib/xvrrp/entrypoint"]
