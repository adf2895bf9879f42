/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xvrrp XDP data plane: answers ARP and IPv6 neighbour solicitations for the
 * VIPs of groups this node owns, drops them for groups it does not own, and
 * filters the VRRP advertisements of the VRIDs its configs serve before they
 * reach the controllers' raw sockets. Everything else - other daemons' VRRP
 * included - passes untouched. One program serves every xvrrp config on the
 * interface. docs/dataplane.md describes the maps,
 * verdicts and counters.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xvrrp/abi.h"
#include "parsing.h"
#include "csum.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVRRP_MAX_VIPS);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* written only by the controller: allocate on update */
	__type(key, __u32); /* IPv4 address, network order */
	__type(value, struct xvrrp_vip);
} xvrrp_vip4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVRRP_MAX_VIPS);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* written only by the controller: allocate on update */
	__type(key, struct xvrrp_vip6_key);
	__type(value, struct xvrrp_vip);
} xvrrp_vip6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVRRP_VRID_SLOTS);
	__type(key, __u32);
	__type(value, struct xvrrp_group);
} xvrrp_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVRRP_VRID_SLOTS);
	__type(key, __u32);
	__type(value, struct xvrrp_vrid_config);
} xvrrp_vrids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVRRP_MAX_PEERS);
	__type(key, struct xvrrp_peer_key);
	__type(value, __u8);
} xvrrp_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVRRP_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} xvrrp_stats SEC(".maps");

/* The configs sharing this interface: heartbeat (read here) and registry (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVRRP_MAX_CONFIGS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvrrp_config_slot);
} xvrrp_configs SEC(".maps");

/* One conflict ring per config slot: a ring has one consumer, and each config's
 * controller must read the reports of its own groups only. */
#define CONFLICT_RING(n)                                                   \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                        \
		__uint(max_entries, XVRRP_CONFLICT_RING_BYTES);            \
	} xvrrp_ring##n SEC(".maps")
CONFLICT_RING(0);
CONFLICT_RING(1);
CONFLICT_RING(2);
CONFLICT_RING(3);
CONFLICT_RING(4);
CONFLICT_RING(5);
CONFLICT_RING(6);
CONFLICT_RING(7);
_Static_assert(XVRRP_MAX_CONFIGS == 8, "one CONFLICT_RING per config slot");

/* Written by the controller only: which advert of a BACKUP group to absorb (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVRRP_ADVERT_SLOTS);
	__type(key, __u32);
	__type(value, struct xvrrp_advert_filter);
} xvrrp_advert_filter SEC(".maps");

/* Written by the program only; the controller reads it through mmap, no system call. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVRRP_ADVERT_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvrrp_advert_seen);
} xvrrp_advert_seen SEC(".maps");

/* Written by the loader only (ABI version of the pins), see abi.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvrrp_meta);
} xvrrp_meta SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&xvrrp_stats, &idx);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline int pass(__u32 counter)
{
	count(counter);
	return XDP_PASS;
}

static __always_inline int drop(__u32 counter)
{
	count(counter);
	return XDP_DROP;
}

static __always_inline int vrrp_drop(enum xvrrp_reason reason)
{
	return drop(XVRRP_C_VRRP_DROP_BASE + reason);
}

/*
 * Liveness gate: a group is answered only while the controller's heartbeat
 * is younger than the group's Master_Down_Interval, the moment a peer takes
 * over (RFC 5798 section 6.4.2). Each config sharing the interface has its own
 * heartbeat: one dead controller silences its own groups only. The map is read
 * before the clock, so a stamp the controller took from the same clock is never
 * ahead of "now" by more than the fast clock's lag (abi.h): one further ahead is
 * garbage (a corrupted slot, a stamp from another clock or boot) and would keep
 * the gate open for as long as it stays ahead, so it is stale.
 */
static __always_inline int group_stale(const struct xvrrp_group *grp)
{
	__u32 key = grp->config;
	struct xvrrp_config_slot *cfg = bpf_map_lookup_elem(&xvrrp_configs, &key);
	__u64 now, seen;

	if (!cfg)
		return 1;
	seen = cfg->heartbeat_ns;
	if (seen == 0)
		return 1;
	now = bpf_ktime_get_ns();
	if (seen > now)
		return seen - now > XVRRP_HEARTBEAT_FUTURE_SLACK_NS;
	return now - seen > grp->master_down_ns;
}

static __always_inline struct xvrrp_group *group_of(const struct xvrrp_vip *vip)
{
	__u32 vrid = vip->vrid;

	return bpf_map_lookup_elem(&xvrrp_groups, &vrid);
}

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

/* Issue 10: someone else claims a VIP we own; the controller re-announces. */
static __always_inline void report_conflict(__u8 family, __u8 vrid, __u8 config,
					    const __u8 *mac, const __u8 *addr, __u32 counter)
{
	struct xvrrp_conflict *ev;

	count(counter);
	switch (config) {
	case 0: ev = bpf_ringbuf_reserve(&xvrrp_ring0, sizeof(*ev), 0); break;
	case 1: ev = bpf_ringbuf_reserve(&xvrrp_ring1, sizeof(*ev), 0); break;
	case 2: ev = bpf_ringbuf_reserve(&xvrrp_ring2, sizeof(*ev), 0); break;
	case 3: ev = bpf_ringbuf_reserve(&xvrrp_ring3, sizeof(*ev), 0); break;
	case 4: ev = bpf_ringbuf_reserve(&xvrrp_ring4, sizeof(*ev), 0); break;
	case 5: ev = bpf_ringbuf_reserve(&xvrrp_ring5, sizeof(*ev), 0); break;
	case 6: ev = bpf_ringbuf_reserve(&xvrrp_ring6, sizeof(*ev), 0); break;
	case 7: ev = bpf_ringbuf_reserve(&xvrrp_ring7, sizeof(*ev), 0); break;
	default: ev = NULL;
	}
	if (!ev) {
		count(XVRRP_C_CONFLICT_RING_FULL);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->family = family;
	ev->vrid = vrid;
	__builtin_memcpy(ev->mac, mac, ETH_ALEN);
	if (family == 4)
		__builtin_memcpy(ev->addr, addr, 4);
	else
		__builtin_memcpy(ev->addr, addr, 16);
	bpf_ringbuf_submit(ev, 0);
}

/* 1 (and reported under `counter`) when spa is an owned VIP claimed for another MAC than its group's. */
static __always_inline int check_conflict4(const __u8 *spa, const __u8 *sha, __u32 counter)
{
	__u32 addr;
	struct xvrrp_vip *vip;
	struct xvrrp_group *grp;

	__builtin_memcpy(&addr, spa, 4);
	vip = bpf_map_lookup_elem(&xvrrp_vip4, &addr);
	if (!vip)
		return 0;
	grp = group_of(vip);
	if (!grp || !grp->owned || mac_equal(sha, grp->mac))
		return 0;
	report_conflict(4, vip->vrid, grp->config, sha, spa, counter);
	return 1;
}

/*
 * Requests are answered only when sent to us: to broadcast (an ARP request,
 * RFC 826) or to the group's MAC (a unicast refresh, RFC 1122 2.3.2.1). One
 * the NIC let through for another station (promiscuous mode, a flooding
 * switch, a bridge) or to a multicast group is not ours to answer.
 */
static __always_inline int arp_dest_ours(const __u8 *dst, const __u8 *grp_mac)
{
	return (dst[0] & dst[1] & dst[2] & dst[3] & dst[4] & dst[5]) == 0xff ||
	       mac_equal(dst, grp_mac);
}

/* ARP request -> reply in place (RFC 826): swap the roles, sender = VIP. */
static __always_inline int handle_arp(struct hdr_cursor *nh, void *data_end, struct ethhdr *eth)
{
	struct arp_eth *arp;
	struct xvrrp_vip *vip;
	struct xvrrp_group *grp;
	__u32 tpa;
	int op;

	op = parse_arp(nh, data_end, &arp);
	if (op < 0)
		return pass(XVRRP_C_ARP_PASS_MALFORMED);
	if (op != ARP_OP_REQUEST) {
		check_conflict4(arp->spa, arp->sha, XVRRP_C_ARP_CONFLICT);
		return pass(XVRRP_C_ARP_PASS_REPLY);
	}
	/* Gratuitous ARP announces the sender's own binding: the kernel's business. */
	if (__builtin_memcmp(arp->spa, arp->tpa, 4) == 0) {
		check_conflict4(arp->spa, arp->sha, XVRRP_C_ARP_CONFLICT);
		return pass(XVRRP_C_ARP_PASS_GRATUITOUS);
	}
	/* A request from an owned VIP by another station: it uses our address, and every
	 * host that hears the request learns the VIP at its MAC (RFC 826 merge). Reported,
	 * never answered, whatever its target and destination. */
	if (check_conflict4(arp->spa, arp->sha, XVRRP_C_ARP_SENDER_CONFLICT))
		return XDP_DROP;
	__builtin_memcpy(&tpa, arp->tpa, 4);
	vip = bpf_map_lookup_elem(&xvrrp_vip4, &tpa);
	if (!vip)
		return pass(XVRRP_C_ARP_PASS_NON_VIP);
	grp = group_of(vip);
	if (!grp || !grp->owned)
		return drop(XVRRP_C_ARP_DROP_NOT_OWNED);
	if (group_stale(grp))
		return drop(XVRRP_C_ARP_DROP_STALE);
	/* Checked only now: a group not owned or behind a closed gate is never left to a
	 * kernel that might answer from a lingering address. */
	if (!arp_dest_ours(eth->h_dest, grp->mac))
		return pass(XVRRP_C_ARP_PASS_OTHER_DEST);

	/* An ARP probe (sender 0.0.0.0, RFC 5227) gets the same unicast reply as from Linux. */
	__builtin_memcpy(eth->h_dest, arp->sha, ETH_ALEN);
	__builtin_memcpy(eth->h_source, grp->mac, ETH_ALEN);
	arp->op = bpf_htons(ARP_OP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	__builtin_memcpy(arp->tpa, arp->spa, 4);
	__builtin_memcpy(arp->sha, grp->mac, ETH_ALEN);
	__builtin_memcpy(arp->spa, &tpa, 4);
	count(XVRRP_C_ARP_REPLIED);
	return XDP_TX;
}

static __always_inline int ipv6_is_unspecified(const __u32 *a)
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

#define ND_MAX_WORDS 64 /* NS/NA longer than 256 bytes are left to the kernel */
#define NA_LEN 32       /* header 8 + target 16 + target link-layer option 8 */
/* Options fit in what is left of a message of ND_MAX_WORDS words after its 24-byte header. */
#define ND_MAX_OPT_BYTES (ND_MAX_WORDS * 4 - (int)sizeof(struct nd_msg))
#define ND_MAX_OPTS (ND_MAX_OPT_BYTES / 8)

/* What the option walk of one ND message found (RFC 4861 section 4.6). */
struct nd_opts {
	int valid;         /* every option has a length > 0 and ends inside the message */
	int has_source_ll; /* a source link-layer address option of any length */
	int found;         /* mac holds the first option of the wanted type with length 1 */
	__u8 mac[ETH_ALEN];
};

/*
 * Walks all options of the ND message at nd, whose options occupy opt_len
 * bytes (bounded by the ICMPv6 length, RFC 4861 section 7.1.1, never by
 * the frame end: bytes past payload_len are link-layer padding). The caller
 * caps opt_len at ND_MAX_OPT_BYTES; each option takes at least 8 bytes, so
 * ND_MAX_OPTS steps reach the end of any such message.
 */
static __always_inline void nd_walk_options(struct nd_msg *nd, __u32 opt_len, void *data_end,
					    __u8 want, struct nd_opts *r)
{
	void *opts = nd + 1;
	__u64 off = 0, step;
	int i;

	r->valid = 1;
	r->has_source_ll = 0;
	r->found = 0;
	for (i = 0; i < ND_MAX_OPTS; i++) {
		struct nd_opt_lladdr *o;

		if (off >= opt_len)
			return;
		/* off < opt_len <= ND_MAX_OPT_BYTES < 256, so the mask changes nothing; it is
		 * there for the 6.1 verifier, which has no range for off here (the empty asm
		 * keeps clang from dropping it). */
		asm volatile("" : "+r"(off));
		o = opts + (off & 0xff);
		/* Fewer than 8 bytes left cannot hold an option: past the end. */
		if (opt_len - off < sizeof(*o) || (void *)(o + 1) > data_end)
			break;
		step = (__u32)o->len * 8;
		if (step == 0 || step > opt_len - off)
			break;
		if (o->type == ND_OPT_SOURCE_LL)
			r->has_source_ll = 1;
		if (!r->found && o->type == want && o->len == 1) {
			__builtin_memcpy(r->mac, o->mac, ETH_ALEN);
			r->found = 1;
		}
		off += step;
	}
	if (i == ND_MAX_OPTS && off >= opt_len)
		return;
	r->valid = 0;
}

static __always_inline int ipv6_is_solicited_node(const __u32 *a)
{
	/* ff02::1:ff00:0/104, RFC 4291 section 2.7.1 */
	return a[0] == bpf_htonl(0xff020000) && a[1] == 0 && a[2] == bpf_htonl(1) &&
	       ((const __u8 *)a)[12] == 0xff;
}

/*
 * ICMPv6 checksum over the pseudo-header (RFC 8200 section 8.1) and the
 * message; 1 when it verifies.
 */
static __always_inline int icmp6_csum_ok(struct ipv6hdr *ip6h, void *msg, __u32 len,
					 void *data_end)
{
	__u64 sum = csum_addr16((__u32 *)&ip6h->saddr) + csum_addr16((__u32 *)&ip6h->daddr) +
		    bpf_htonl(len) + bpf_htonl(IPPROTO_ICMPV6);

	if (!csum_add_bytes(msg, len, ND_MAX_WORDS * 4, data_end, &sum))
		return 0;
	return csum_fold(sum) == 0xffff;
}

/*
 * NS for an owned VIP -> NA in place (RFC 4861 section 7.2.4): solicited
 * unless the NS came from the unspecified address (duplicate address
 * detection: then to all-nodes, RFC 4862 section 5.4.3), override set, with
 * a target link-layer address option.
 */
static __always_inline int reply_na(struct xdp_md *ctx, __u32 l3off, const __u8 *grp_mac,
				    const struct nd_opts *opts)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h;
	struct nd_msg *nd;
	struct nd_opt_lladdr *opt;
	__u8 mac[ETH_ALEN], dst_mac[ETH_ALEN];
	__u32 src[4], target[4];
	int dad, grow;
	__u64 sum;

	if (l3off > 18)
		return XDP_PASS;
	ip6h = data + l3off;
	nd = (void *)(ip6h + 1);
	/* Two checks: the verifier tracks data and data + l3off separately. */
	if ((void *)(eth + 1) > data_end || (void *)(nd + 1) > data_end)
		return XDP_PASS;
	__builtin_memcpy(mac, grp_mac, ETH_ALEN);
	__builtin_memcpy(src, &ip6h->saddr, 16);
	__builtin_memcpy(target, nd->target, 16);
	/* To the source link-layer address if given, else to the frame's sender. */
	if (opts->found)
		__builtin_memcpy(dst_mac, opts->mac, ETH_ALEN);
	else
		__builtin_memcpy(dst_mac, eth->h_source, ETH_ALEN);
	dad = ipv6_is_unspecified(src);

	/* The NS may carry more or fewer option bytes than the NA needs. */
	grow = (int)(l3off + sizeof(*ip6h) + NA_LEN) - (int)(data_end - data);
	if (grow != 0 && bpf_xdp_adjust_tail(ctx, grow))
		return XDP_PASS; /* frame untouched: the kernel answers if the address is there */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	ip6h = data + l3off;
	nd = (void *)(ip6h + 1);
	opt = (void *)(nd + 1);
	if ((void *)(eth + 1) > data_end || (void *)(opt + 1) > data_end)
		return XDP_ABORTED; /* cannot happen after a successful resize */

	if (dad) {
		/* 33:33:00:00:00:01 / ff02::1, RFC 2464 section 7 */
		__u8 all_nodes_mac[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };

		__builtin_memcpy(eth->h_dest, all_nodes_mac, ETH_ALEN);
		src[0] = bpf_htonl(0xff020000);
		src[1] = 0;
		src[2] = 0;
		src[3] = bpf_htonl(1);
	} else {
		__builtin_memcpy(eth->h_dest, dst_mac, ETH_ALEN);
	}
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	ip6h->payload_len = bpf_htons(NA_LEN);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = 255;
	__builtin_memcpy(&ip6h->saddr, target, 16);
	__builtin_memcpy(&ip6h->daddr, src, 16);
	nd->type = ICMPV6_NA;
	nd->code = 0;
	nd->csum = 0;
	nd->flags = bpf_htonl(ND_NA_FLAG_OVERRIDE | (dad ? 0 : ND_NA_FLAG_SOLICITED));
	opt->type = ND_OPT_TARGET_LL;
	opt->len = 1;
	__builtin_memcpy(opt->mac, mac, ETH_ALEN);

	sum = csum_addr16(target) + csum_addr16(src) + bpf_htonl(NA_LEN) +
	      bpf_htonl(IPPROTO_ICMPV6);
	{
		__u32 *w = (__u32 *)nd;
		int i;

#pragma unroll
		for (i = 0; i < NA_LEN / 4; i++)
			sum += w[i];
	}
	nd->csum = ~csum_fold(sum);
	return XDP_TX;
}

/*
 * An NS is answered only when sent to the solicited-node multicast MAC of its
 * target (33:33:ff + the target's last 24 bits, RFC 4861 section 7.2.2 and
 * RFC 2464 section 7) or, as a unicast NUD probe, to the group's MAC.
 */
static __always_inline int nd_dest_ours(const __u8 *dst, const __u8 *grp_mac, const __u8 *target)
{
	return (dst[0] == 0x33 && dst[1] == 0x33 && dst[2] == 0xff && dst[3] == target[13] &&
		dst[4] == target[14] && dst[5] == target[15]) ||
	       mac_equal(dst, grp_mac);
}

static __always_inline int handle_nd(struct xdp_md *ctx, struct hdr_cursor *nh, void *data_end,
				     struct ethhdr *eth, struct ipv6hdr *ip6h, __u32 l3off)
{
	struct nd_msg *nd;
	struct xvrrp_vip6_key key;
	struct xvrrp_vip *vip;
	struct xvrrp_group *grp;
	__u32 len = bpf_ntohs(ip6h->payload_len);
	struct nd_opts opts;
	const __u8 *claimed;
	int type, verdict;

	type = parse_nd(nh, data_end, &nd);
	if (type != ICMPV6_NS && type != ICMPV6_NA)
		return pass(XVRRP_C_PASS_OTHER);
	/* Someone else claiming an owned VIP: an NA for it as target, with another MAC in its
	 * target link-layer option, or an NS sent from it as source by another station (its
	 * Ethernet source; an NS's source link-layer option names the same station). */
	claimed = type == ICMPV6_NA ? nd->target : (const __u8 *)&ip6h->saddr;
	__builtin_memcpy(key.addr, claimed, 16);
	vip = bpf_map_lookup_elem(&xvrrp_vip6, &key);
	if (!vip || !(grp = group_of(vip)) || !grp->owned) {
		/* no claim on an owned VIP */
	} else if (type == ICMPV6_NS) {
		if (!mac_equal(eth->h_source, grp->mac)) {
			/* Never answered, whatever its target (see handle_arp). */
			report_conflict(6, vip->vrid, grp->config, eth->h_source, claimed,
					XVRRP_C_NS_SENDER_CONFLICT);
			return XDP_DROP;
		}
	} else if (len <= ND_MAX_WORDS * 4) {
		/* The claim is read from the message as payload_len bounds it (a frame may
		 * carry padding after it); longer NAs than the walk covers are the kernel's. */
		__u32 avail = data_end - (void *)nd;
		__u32 msg = len < avail ? len : avail;

		if (msg > sizeof(*nd)) {
			nd_walk_options(nd, msg - sizeof(*nd), data_end, ND_OPT_TARGET_LL, &opts);
			if (opts.found && !mac_equal(opts.mac, grp->mac))
				report_conflict(6, vip->vrid, grp->config, opts.mac, claimed,
						XVRRP_C_NA_CONFLICT);
		}
	}
	if (type == ICMPV6_NA)
		return pass(XVRRP_C_NA_PASS);
	__builtin_memcpy(key.addr, nd->target, 16);
	vip = bpf_map_lookup_elem(&xvrrp_vip6, &key);
	if (!vip)
		return pass(XVRRP_C_NS_PASS_NON_VIP);
	/* RFC 4861 section 7.1.1 validity; an invalid NS is the kernel's to drop. The upper
	 * bound also gives older verifiers (6.1), which lose bounds across a byte swap, a
	 * range for the pointer arithmetic below. */
	if (ip6h->hop_limit != 255 || nd->code != 0 || len < sizeof(*nd) ||
	    len > ND_MAX_WORDS * 4 || len % 8)
		return pass(XVRRP_C_NS_PASS_MALFORMED);
	/* len <= 256 here, so the mask changes nothing: 6.1 keeps no bounds for a copy of len
	 * spilled to the stack before the checks, and the mask gives it one (the empty asm
	 * keeps clang from dropping it). */
	asm volatile("" : "+r"(len));
	len &= 0x1ff;
	if ((void *)ip6h + sizeof(*ip6h) + len > data_end || nd->target[0] == 0xff ||
	    !icmp6_csum_ok(ip6h, nd, len, data_end))
		return pass(XVRRP_C_NS_PASS_MALFORMED);
	grp = group_of(vip);
	if (!grp || !grp->owned)
		return drop(XVRRP_C_NS_DROP_NOT_OWNED);
	if (group_stale(grp))
		return drop(XVRRP_C_NS_DROP_STALE);
	/* The rest of RFC 4861 section 7.1.1: the kernel silently discards these, so they
	 * must not be answered here either. A valid DAD NS (from ::) for an owned VIP is
	 * defended by reply_na with an NA to all-nodes (section 7.2.4). */
	nd_walk_options(nd, len - sizeof(*nd), data_end, ND_OPT_SOURCE_LL, &opts);
	if (!opts.valid)
		return pass(XVRRP_C_NS_PASS_MALFORMED);
	if (ipv6_is_unspecified((__u32 *)&ip6h->saddr) &&
	    (!ipv6_is_solicited_node((__u32 *)&ip6h->daddr) || opts.has_source_ll))
		return pass(XVRRP_C_NS_PASS_MALFORMED);
	/* As for ARP, only after the ownership and gate drops. */
	if (!nd_dest_ours(eth->h_dest, grp->mac, nd->target))
		return pass(XVRRP_C_NS_PASS_OTHER_DEST);
	verdict = reply_na(ctx, l3off, grp->mac, &opts);
	count(verdict == XDP_TX ? XVRRP_C_NS_REPLIED : XVRRP_C_NS_NO_TAILROOM);
	return verdict;
}

#define VRRP_MAX_LEN_V4 (8 + 255 * 4 + 8) /* 255 addresses + v2 authentication data */
#define VRRP_MAX_LEN_V6 (8 + 255 * 16)

/*
 * The VRID of the VRRP message at the cursor, -1 when its first two bytes are
 * not in the frame. Only adverts of a VRID a config on this interface serves
 * are judged here: any other VRRP - another daemon's (the platform's
 * keepalived, another ipfailover config), or one we cannot attribute - goes to
 * the kernel untouched, for whoever listens.
 */
static __always_inline int vrrp_vrid(struct hdr_cursor *nh, void *data_end)
{
	__u8 *p = nh->pos;

	if ((void *)(p + 2) > data_end)
		return -1;
	return p[1];
}

static __always_inline struct xvrrp_vrid_config *served_vrid(int vrid)
{
	struct xvrrp_vrid_config *cfg;
	__u32 key = vrid;

	if (vrid <= 0) /* VRID 0 is no virtual router (RFC 5798 section 5.2.3) */
		return NULL;
	cfg = bpf_map_lookup_elem(&xvrrp_vrids, &key);
	return cfg && cfg->configured ? cfg : NULL;
}

/*
 * VRRP checks shared by IPv4 and IPv6 (RFC 3768 / RFC 5798 section 7.1) for an
 * advert of a served VRID, cheapest first. The controller checks again;
 * anything it could accept must pass here.
 */
static __always_inline int check_vrrp(struct hdr_cursor *nh, void *data_end, __u32 plen,
				      __u8 family, const void *saddr, __u64 pseudo_sum,
				      const struct xvrrp_vrid_config *cfg, struct vrrp_hdr **out)
{
	struct vrrp_hdr *vh;
	__u32 version, alen, expect;
	__u64 sum = 0;
	int vt;

	vt = parse_vrrp(nh, data_end, &vh);
	if (vt < 0 || plen < sizeof(*vh))
		return XVRRP_REASON_TRUNCATED;
	*out = vh;
	version = (__u32)vt >> 4;
	if (version != 3 && !(version == 2 && family == 4)) /* RFC 3768 is IPv4 only */
		return XVRRP_REASON_BAD_VERSION;
	if ((vt & 0x0f) != 1)
		return XVRRP_REASON_BAD_TYPE;
	if (vh->count == 0)
		return XVRRP_REASON_BAD_ADDR_COUNT;
	alen = family == 4 ? 4 : 16;
	expect = sizeof(*vh) + vh->count * alen + (version == 2 ? 8 : 0); /* v2 auth data */
	if (plen != expect)
		return XVRRP_REASON_BAD_LENGTH;
	if (!(cfg->versions & (1u << version)))
		return XVRRP_REASON_VERSION_MISMATCH;
	if (cfg->unicast) {
		struct xvrrp_peer_key peer;

		__builtin_memset(&peer, 0, sizeof(peer));
		peer.family = family;
		peer.config = cfg->config;
		__builtin_memcpy(peer.addr, saddr, 16); /* IPv4: tail ignored below */
		if (family == 4)
			__builtin_memset(peer.addr + 4, 0, 12);
		if (!bpf_map_lookup_elem(&xvrrp_peers, &peer))
			return XVRRP_REASON_NOT_A_PEER;
	}
	if (!csum_add_bytes(vh, plen, family == 4 ? VRRP_MAX_LEN_V4 : VRRP_MAX_LEN_V6, data_end,
			    &sum))
		return XVRRP_REASON_TRUNCATED;
	/* v2 and the "v2-style" v3 checksum cover the message only; RFC 5798
	 * v3 adds the pseudo-header. keepalived can send either for v3. */
	if (csum_fold(sum) == 0xffff)
		return XVRRP_REASON_OK;
	if (version == 3 && csum_fold(sum + pseudo_sum) == 0xffff)
		return XVRRP_REASON_OK;
	return XVRRP_REASON_BAD_CHECKSUM;
}

/*
 * A valid advert that repeats, byte for byte in its header and length and from
 * the same source, the one the controller armed for this group (abi.h): only
 * its arrival time matters to a BACKUP that follows that master, so record it
 * and spare the controller a wake-up. At 254 groups x 10 ms that is 25,400
 * adverts a second a backup no longer reads. Anything else - another master, a
 * new priority or interval, a resignation, a changed address list (the
 * checksum covers it) - still passes.
 */
static __always_inline int absorbed(struct vrrp_hdr *vh, void *data_end, __u32 plen,
				    __u8 family, const __u8 *saddr, __u8 ttl)
{
	struct xvrrp_advert_filter *f;
	struct xvrrp_advert_seen *seen;
	__u64 header, want;
	__u32 slot;

	/* The controller rejects a unicast advert whose TTL is not 255 (the multicast
	 * ones were checked above): such a frame must reach it to be counted. */
	if ((void *)(vh + 1) > data_end || ttl != 255)
		return 0;
	slot = (family == 6 ? XVRRP_VRID_SLOTS : 0) + vh->vrid;
	f = bpf_map_lookup_elem(&xvrrp_advert_filter, &slot);
	if (!f || !f->armed || f->length != plen)
		return 0;
	__builtin_memcpy(&header, vh, sizeof(header));
	__builtin_memcpy(&want, f->header, sizeof(want));
	if (header != want)
		return 0;
	if (*(__u32 *)saddr != *(__u32 *)f->source)
		return 0;
	if (family == 6 && (*(__u32 *)(saddr + 4) != *(__u32 *)(f->source + 4) ||
			    *(__u32 *)(saddr + 8) != *(__u32 *)(f->source + 8) ||
			    *(__u32 *)(saddr + 12) != *(__u32 *)(f->source + 12)))
		return 0;
	seen = bpf_map_lookup_elem(&xvrrp_advert_seen, &slot);
	if (!seen)
		return 0;
	seen->ns = bpf_ktime_get_ns(); /* one aligned 64-bit store: readers see old or new */
	__sync_fetch_and_add(&seen->count, 1);
	return 1;
}

static __always_inline int vrrp_verdict(int reason, struct vrrp_hdr *vh, void *data_end,
					__u32 plen, __u8 family, const __u8 *saddr, __u8 ttl)
{
	if (reason == XVRRP_REASON_OK) {
		if (vh && absorbed(vh, data_end, plen, family, saddr, ttl))
			return drop(XVRRP_C_VRRP_ABSORBED);
		return pass(XVRRP_C_VRRP_PASS);
	}
	if (reason <= 0 || reason >= XVRRP_REASON_COUNT)
		reason = XVRRP_REASON_TRUNCATED;
	return vrrp_drop(reason);
}

static __always_inline int handle_vrrp4(struct hdr_cursor *nh, void *data_end, struct iphdr *iph)
{
	__u32 tot = bpf_ntohs(iph->tot_len), ihl = iph->ihl * 4, saddr;
	const struct xvrrp_vrid_config *cfg;
	struct vrrp_hdr *vh = NULL;
	__u8 src[16];
	__u64 pseudo;
	int reason, vrid;

	vrid = vrrp_vrid(nh, data_end);
	/* A later fragment carries no VRRP header, whatever its first bytes say. */
	if (vrid < 0 || (iph->frag_off & bpf_htons(0x1fff)))
		return pass(XVRRP_C_VRRP_PASS_UNATTRIBUTED);
	cfg = served_vrid(vrid);
	if (!cfg)
		return pass(XVRRP_C_VRRP_PASS_FOREIGN);
	if (tot < ihl)
		return vrrp_drop(XVRRP_REASON_BAD_IP_HEADER);
	/* Longer than any advert (255 addresses + v2 auth data): also bounds tot for the
	 * verifier of older kernels, which loses bounds across bpf_ntohs. */
	if (tot > 60 + VRRP_MAX_LEN_V4 || tot - ihl > VRRP_MAX_LEN_V4)
		return vrrp_drop(XVRRP_REASON_BAD_LENGTH);
	if ((void *)iph + tot > data_end)
		return vrrp_drop(XVRRP_REASON_TRUNCATED);
	if (iph->frag_off & bpf_htons(0x3fff)) /* MF or an offset */
		return vrrp_drop(XVRRP_REASON_FRAGMENT);
	/* Multicast adverts must not have crossed a router (RFC 5798 section 7.1). */
	if ((bpf_ntohl(iph->daddr) >> 28) == 0xe && iph->ttl != 255)
		return vrrp_drop(XVRRP_REASON_BAD_TTL);
	saddr = bpf_ntohl(iph->saddr);
	if (saddr == 0 || (saddr >> 28) == 0xe || saddr == 0xffffffff)
		return vrrp_drop(XVRRP_REASON_BAD_SOURCE);
	__builtin_memset(src, 0, sizeof(src));
	__builtin_memcpy(src, &iph->saddr, 4);
	pseudo = (__u64)iph->saddr + iph->daddr + bpf_htonl((IPPROTO_VRRP_NUM << 16) | (tot - ihl));
	reason = check_vrrp(nh, data_end, tot - ihl, 4, src, pseudo, cfg, &vh);
	return vrrp_verdict(reason, vh, data_end, tot - ihl, 4, src, iph->ttl);
}

static __always_inline int handle_vrrp6(struct hdr_cursor *nh, void *data_end,
					struct ipv6hdr *ip6h)
{
	__u32 plen = bpf_ntohs(ip6h->payload_len);
	const struct xvrrp_vrid_config *cfg;
	struct vrrp_hdr *vh = NULL;
	__u64 pseudo;
	int reason, vrid;

	vrid = vrrp_vrid(nh, data_end);
	if (vrid < 0)
		return pass(XVRRP_C_VRRP_PASS_UNATTRIBUTED);
	cfg = served_vrid(vrid);
	if (!cfg)
		return pass(XVRRP_C_VRRP_PASS_FOREIGN);
	if (plen > VRRP_MAX_LEN_V6) /* see handle_vrrp4 */
		return vrrp_drop(XVRRP_REASON_BAD_LENGTH);
	if ((void *)(ip6h + 1) + plen > data_end)
		return vrrp_drop(XVRRP_REASON_TRUNCATED);
	if (ip6h->daddr.in6_u.u6_addr8[0] == 0xff && ip6h->hop_limit != 255)
		return vrrp_drop(XVRRP_REASON_BAD_TTL);
	if (ip6h->saddr.in6_u.u6_addr8[0] == 0xff ||
	    ipv6_is_unspecified((__u32 *)&ip6h->saddr))
		return vrrp_drop(XVRRP_REASON_BAD_SOURCE);
	pseudo = csum_addr16((__u32 *)&ip6h->saddr) + csum_addr16((__u32 *)&ip6h->daddr) +
		 bpf_htonl(plen) + bpf_htonl(IPPROTO_VRRP_NUM);
	reason = check_vrrp(nh, data_end, plen, 6, &ip6h->saddr, pseudo, cfg, &vh);
	return vrrp_verdict(reason, vh, data_end, plen, 6, (const __u8 *)&ip6h->saddr,
			    ip6h->hop_limit);
}

SEC("xdp")
int xvrrp_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u16 vid;
	int proto;

	count(XVRRP_C_PACKETS);
	proto = parse_ethhdr(&nh, data_end, &eth);
	if (proto < 0)
		return pass(XVRRP_C_PASS_OTHER);
	if (proto_is_vlan(proto))
		count(XVRRP_C_VLAN);
	proto = parse_vlan(&nh, data_end, proto, &vid);
	if (proto < 0)
		return pass(XVRRP_C_PASS_OTHER);
	/* The segment of the interface the program is on: untagged frames and priority
	 * tags (VLAN ID 0, 802.1p). A frame with a VLAN ID belongs to a VLAN device on
	 * top of this one, whose own generic XDP program sees it untagged
	 * (docs/dataplane.md, 802.1Q); QinQ is never ours. */
	if (vid != 0)
		return pass(XVRRP_C_PASS_OTHER_VLAN);

	if (proto == bpf_htons(ETH_P_ARP))
		return handle_arp(&nh, data_end, eth);
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_ipv4(&nh, data_end, &iph) == IPPROTO_VRRP_NUM)
			return handle_vrrp4(&nh, data_end, iph);
		return pass(XVRRP_C_PASS_OTHER);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		switch (parse_ipv6(&nh, data_end, &ip6h)) {
		case IPPROTO_ICMPV6:
			return handle_nd(ctx, &nh, data_end, eth, ip6h, (void *)ip6h - data);
		case IPPROTO_VRRP_NUM:
			return handle_vrrp6(&nh, data_end, ip6h);
		}
	}
	return pass(XVRRP_C_PASS_OTHER);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
