/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsers in the xdp-tools style: one cursor, one bounds check beside
 * each access. Every parser returns the next protocol (or 0 for "parsed") and
 * -1 when the header does not fit in the frame or is not well formed.
 */
#ifndef XVRRP_BPF_PARSING_H
#define XVRRP_BPF_PARSING_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct hdr_cursor {
	void *pos;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* ARP for Ethernet/IPv4 (RFC 826): the only form we answer. */
struct arp_eth {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* ICMPv6 neighbour discovery (RFC 4861 section 4.3 / 4.4): header + target. */
struct nd_msg {
	__u8 type;
	__u8 code;
	__sum16 csum;
	__be32 flags;           /* NA: R, S, O in the top bits; NS: reserved */
	__u8 target[16];
};

struct nd_opt_lladdr {
	__u8 type;              /* 1 source, 2 target link-layer address */
	__u8 len;               /* in units of 8 bytes: 1 for Ethernet */
	__u8 mac[ETH_ALEN];
};

#define ICMPV6_NS 135
#define ICMPV6_NA 136
#define ND_OPT_SOURCE_LL 1
#define ND_OPT_TARGET_LL 2
#define ND_NA_FLAG_SOLICITED 0x40000000
#define ND_NA_FLAG_OVERRIDE 0x20000000

/* VRRP fixed header, common to v2 (RFC 3768 5.1) and v3 (RFC 5798 5.1). */
struct vrrp_hdr {
	__u8 vers_type;
	__u8 vrid;
	__u8 priority;
	__u8 count;
	__be16 word1;           /* v2: auth type + interval; v3: rsvd + max adver int */
	__sum16 csum;
};

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;

	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	*ethhdr = eth;
	return eth->h_proto;
}

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/* One tag only: a second tag (QinQ) is reported through *vid as 0xffff. */
static __always_inline int parse_vlan(struct hdr_cursor *nh, void *data_end, int h_proto,
				      __u16 *vid)
{
	struct vlan_hdr *vlh = nh->pos;

	*vid = 0;
	if (!proto_is_vlan(h_proto))
		return h_proto;
	if ((void *)(vlh + 1) > data_end)
		return -1;
	nh->pos = vlh + 1;
	*vid = bpf_ntohs(vlh->tci) & 0x0fff;
	if (proto_is_vlan(vlh->encapsulated_proto))
		*vid = 0xffff;
	return vlh->encapsulated_proto;
}

static __always_inline int parse_arp(struct hdr_cursor *nh, void *data_end, struct arp_eth **arp)
{
	struct arp_eth *a = nh->pos;

	if ((void *)(a + 1) > data_end)
		return -1;
	if (a->htype != bpf_htons(ARP_HTYPE_ETHER) || a->ptype != bpf_htons(ETH_P_IP) ||
	    a->hlen != ETH_ALEN || a->plen != 4)
		return -1;
	nh->pos = a + 1;
	*arp = a;
	return bpf_ntohs(a->op);
}

/* IPv4 with options skipped; returns the protocol. */
static __always_inline int parse_ipv4(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;

	if ((void *)(iph + 1) > data_end)
		return -1;
	hdrsize = iph->ihl * 4;
	if (hdrsize < (int)sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;
	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

/* IPv6 without extension headers: a VRRP or ND message behind one is not ours. */
static __always_inline int parse_ipv6(struct hdr_cursor *nh, void *data_end,
				      struct ipv6hdr **ip6hdr)
{
	struct ipv6hdr *ip6h = nh->pos;

	if ((void *)(ip6h + 1) > data_end)
		return -1;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	return ip6h->nexthdr;
}

static __always_inline int parse_nd(struct hdr_cursor *nh, void *data_end, struct nd_msg **nd)
{
	struct nd_msg *m = nh->pos;

	if ((void *)(m + 1) > data_end)
		return -1;
	nh->pos = m + 1;
	*nd = m;
	return m->type;
}

static __always_inline int parse_vrrp(struct hdr_cursor *nh, void *data_end, struct vrrp_hdr **vh)
{
	struct vrrp_hdr *v = nh->pos;

	if ((void *)(v + 1) > data_end)
		return -1;
	nh->pos = v + 1;
	*vh = v;
	return v->vers_type;
}

#endif
