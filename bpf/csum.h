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
 * Sum of nwords 32-bit words starting at start; max_words bounds the loop for
 * the verifier (a VRRPv3/IPv6 advert with 255 addresses is 1022 words).
 * Returns 0 and leaves *sum untouched if the words do not fit in the frame.
 */
static __always_inline int csum_add_words(void *start, __u32 nwords, __u32 max_words,
					  void *data_end, __u64 *sum)
{
	__u64 acc = 0;
	__u32 i;

	if (nwords > max_words)
		return 0;
	for (i = 0; i < max_words; i++) {
		__u32 *p;

		if (i >= nwords)
			break;
		p = start + i * 4;
		if ((void *)(p + 1) > data_end)
			return 0;
		acc += *p;
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
