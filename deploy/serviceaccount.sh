#!/usr/bin/env bash
# The service account and security context constraints of the OKD "Configuring IP failover" page,
# unchanged: xvrrp runs under the same account as keepalived ipfailover.
#   deploy/serviceaccount.sh                  for deploy/ipfailover-deployment.yaml / -daemonset.yaml
#   deploy/serviceaccount.sh --least-privilege for deploy/least-privilege/ (a dedicated SCC instead
#                                              of `privileged`)
# Run as a cluster-admin, in the project that will hold the pods.
set -euo pipefail

case "${1:-}" in
  "")
    oc create sa ipfailover
    oc adm policy add-scc-to-user privileged -z ipfailover
    oc adm policy add-scc-to-user hostnetwork -z ipfailover
    ;;
  --least-privilege)
    here=$(cd "$(dirname "$0")" && pwd)
    oc create sa ipfailover
    oc apply -f "$here/least-privilege/scc.yaml"
    oc adm policy add-scc-to-user xvrrp-ipfailover -z ipfailover
    ;;
  *)
    echo "usage: $0 [--least-privilege]" >&2
    exit 2
    ;;
esac
