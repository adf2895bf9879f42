/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * XDP_PASS and nothing else, for the far end of a veth pair in labs: a frame
 * sent with XDP_TX by native XDP on one veth end is dropped unless the peer
 * end also runs an XDP program (veth only; real NICs have no such condition).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
