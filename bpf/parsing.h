/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header parsers in the xdp-tools style: one cursor, one bounds check beside each access. */
#ifndef XVRRP_BPF_PARSING_H
#define XVRRP_BPF_PARSING_H
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct hdr_cursor {
	void *pos;
};
#endif
