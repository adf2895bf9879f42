/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The "unrelated" XDP program of the vmtests coexistence check (issue 8): it counts every frame and
 * passes it on, so libxdp's dispatcher chains to the next program. A moving counter proves it runs
 * beside xvrrp's program on the same interface. Built with -g: libxdp attaches it as an freplace
 * extension of its dispatcher, which needs the program's BTF.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME); /* xdp-loader -p DIR pins it as DIR/vm_count */
} vm_count SEC(".maps");

SEC("xdp")
int vm_count_prog(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&vm_count, &key);

	(void)ctx;
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
