#!/bin/sh
# The container image's entrypoint (after tini): makes sure /sys/fs/bpf is a bpffs, then runs
# xvrrpd as keepalived-xvrrpd (so the OKD page's liveness probe `pgrep keepalived` finds it).
#
# xvrrpd pins its data plane under /sys/fs/bpf and refuses to start without a bpffs there. The
# manifests in deploy/ mount the host's /sys/fs/bpf, so pins outlive the pod and a restarted pod
# adopts the running data plane. The OKD page's Deployment mounts none, and a container's /sys
# has no bpffs of its own; so that an image-only change still works, mount a pod-local bpffs when
# allowed (a privileged pod is) and say what is lost. Without the permission nothing is mounted
# and xvrrpd's own error explains the fix.
bpffs=${XVRRP_BPFFS:-/sys/fs/bpf}
if [ "$(stat -f -c %T "$bpffs" 2>/dev/null)" != bpf_fs ] && mount -t bpf bpf "$bpffs" 2>/dev/null; then
  echo "xvrrp entrypoint: $bpffs was not a bpffs; mounted one for this pod only. A restarted" \
       "pod cannot adopt the running data plane: mount the host's /sys/fs/bpf (see deploy/)." >&2
fi
exec "$(dirname "$0")/../../bin/keepalived-xvrrpd" "$@"
