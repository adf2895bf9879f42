/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksum (RFC 1071) over packet bytes. Words are loaded in memory
 * order and summed into 64 bits; the one's complement sum does not depend on
 * byte order, so a folded result can be compared with 0xffff or stored back
 * as a __sum16 directly. Values added "by hand" (pseudo-header length and
 * protocol) are converted with bpf_htonl to match the memory order.
 */
#ifndef XVRRP_BPF_CSUM_H
#define XVRRP_BPF_CSUM_H
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Sum of len bytes (a multiple of 4, at most max_len) starting at start. The
 * loop takes 16 bytes a step so the verifier, which walks every possible
 * iteration, has a quarter of the steps to check (a VRRPv3/IPv6 advert with
 * 255 addresses is 4088 bytes). Returns 0 and leaves *sum untouched if len is
 * not a multiple of 4, above max_len, or beyond the frame.
 */
static __always_inline int csum_add_bytes(void *start, __u32 len, __u32 max_len, void *data_end,
					  __u64 *sum)
{
	__u32 blocks = len / 16, words = (len % 16) / 4, i;

	__u64 acc = 0;
	void *tail;

	if (len % 4 || len > max_len)
		return 0;
	for (i = 0; i < max_len / 16; i++) {
		__u32 *w;

		if (i >= blocks)
			break;
		w = start + i * 16;
		if ((void *)(w + 4) > data_end)
			return 0;
		acc += (__u64)w[0] + w[1] + w[2] + w[3];
	}
	/* At most three words left; spelled out because clang turns a loop here into
	 * arithmetic on data_end, which the verifier refuses. */
	tail = start + blocks * 16;
	if (words > 0) {
		__u32 *w = tail;

		if ((void *)(w + words) > data_end || (void *)(w + 1) > data_end)
			return 0;
		acc += w[0];
		if (words > 1) {
			if ((void *)(w + 2) > data_end)
				return 0;
			acc += w[1];
		}
		if (words > 2) {
			if ((void *)(w + 3) > data_end)
				return 0;
			acc += w[2];
		}
	}
	*sum += acc;
	return 1;
}

/* Sum of a 16-byte address that the caller already bounds-checked. */
static __always_inline __u64 csum_addr16(const __u32 *a)
{
	return (__u64)a[0] + a[1] + a[2] + a[3];
}

#endif
