/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Lab helper: attached in native mode to the bridge-side end of every lab
 * veth. A frame a node sends with XDP_TX from native XDP on its veth end is
 * dropped by the kernel unless the PEER veth also runs an XDP program (checked
 * on kernel 6.18, see docs/dataplane.md); passing everything is enough. Real
 * NICs have no such condition, so this lives in the lab, not in bpf/.
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
