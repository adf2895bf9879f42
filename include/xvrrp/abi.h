/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The BPF ABI of xvrrp: map keys and values, counter indices and the reason
 * enum shared by the XDP program (clang -target bpf) and the C++ controller.
 * One copy only; every layout is pinned with _Static_assert on both sides.
 */
#ifndef XVRRP_ABI_H
#define XVRRP_ABI_H

#include <linux/types.h>

#define XVRRP_MAX_VIPS 65536
#define XVRRP_MAX_VRID 255
#define XVRRP_VRID_SLOTS 256 /* array index = VRID, slot 0 unused */
#define XVRRP_MAX_PEERS 64
#define IPPROTO_VRRP_NUM 112
/* Bumped whenever a map layout or the program's meaning changes: a restarted
 * controller adopts a pinned data plane only when this matches (xvrrp_meta).
 * 3: one program per interface shared by every config on it (config slots).
 * 4: ARP/NS answered only when addressed to us, sender conflicts reported,
 *    heartbeats from the future are stale; new counters before the drop base;
 *    no load-time VLAN: the program serves its own interface's segment only. */
#define XVRRP_ABI_VERSION 4
/* The liveness gate tolerates a heartbeat this far ahead of bpf_ktime_get_ns():
 * the controller stamps CLOCK_MONOTONIC, the program reads the NMI-safe fast
 * copy of the same clock, which may lag it by a few microseconds. Anything
 * further ahead is garbage and closes the gate. */
#define XVRRP_HEARTBEAT_FUTURE_SLACK_NS 1000000ull
/* Configs that can share one interface's program: each holds a slot in
 * xvrrp_configs (its heartbeat and name) and its own conflict ring. */
#define XVRRP_MAX_CONFIGS 8
#define XVRRP_CONFIG_NAME_LEN 40
#define XVRRP_CONFLICT_RING_BYTES (64 * 1024)
/* xvrrp_advert_filter / xvrrp_advert_seen index: VRID for IPv4, 256 + VRID for IPv6. */
#define XVRRP_ADVERT_SLOTS (2 * XVRRP_VRID_SLOTS)

/*
 * Why a VRRP advertisement was rejected. The core codec (RFC 3768 / RFC 5798
 * section 7.1 checks) and the XDP program return the same values, so a drop
 * in the kernel and a rejection in userspace are counted under one name.
 */
enum xvrrp_reason {
	XVRRP_REASON_OK = 0,
	XVRRP_REASON_TRUNCATED,          /* shorter than the fixed header or the IP payload */
	XVRRP_REASON_BAD_TTL,            /* TTL / hop limit not 255 */
	XVRRP_REASON_BAD_VERSION,        /* version neither 2 nor 3 */
	XVRRP_REASON_VERSION_MISMATCH,   /* valid version, but not the one configured for this VRID */
	XVRRP_REASON_BAD_TYPE,           /* type not ADVERTISEMENT (1) */
	XVRRP_REASON_BAD_LENGTH,         /* payload length does not match the address count */
	XVRRP_REASON_BAD_ADDR_COUNT,     /* zero addresses */
	XVRRP_REASON_BAD_CHECKSUM,       /* checksum matches no accepted variant */
	XVRRP_REASON_BAD_AUTH,           /* v2 auth type or PASS key differs */
	XVRRP_REASON_INTERVAL_MISMATCH,  /* v2: advert interval differs from ours */
	XVRRP_REASON_UNKNOWN_VRID,       /* VRID not configured on this node */
	XVRRP_REASON_NOT_A_PEER,         /* unicast mode: source not among the peers */
	XVRRP_REASON_BAD_SOURCE,         /* source address is ours, multicast or unspecified */
	XVRRP_REASON_FRAGMENT,           /* IP fragment: adverts are never fragmented */
	XVRRP_REASON_BAD_IP_HEADER,      /* IPv4 IHL < 5, total length wrong */
	XVRRP_REASON_ZERO_INTERVAL,      /* advert interval 0 */
	XVRRP_REASON_COUNT
};

/* Index of every per-CPU counter in the xvrrp_stats map. */
enum xvrrp_counter {
	XVRRP_C_PACKETS = 0,        /* every frame the program saw */
	XVRRP_C_PASS_OTHER,         /* not ARP/NS/VRRP: passed untouched */
	XVRRP_C_ARP_REPLIED,        /* ARP request for an owned VIP answered with XDP_TX */
	XVRRP_C_ARP_DROP_NOT_OWNED, /* ARP request for a VIP of a group we do not own */
	XVRRP_C_ARP_DROP_STALE,     /* owned, but the controller heartbeat is too old */
	XVRRP_C_ARP_PASS_GRATUITOUS,
	XVRRP_C_ARP_PASS_NON_VIP,
	XVRRP_C_ARP_PASS_MALFORMED, /* truncated or not Ethernet/IPv4 ARP: kernel decides */
	XVRRP_C_ARP_CONFLICT,       /* reply or GARP for an owned VIP from another MAC */
	XVRRP_C_NS_REPLIED,
	XVRRP_C_NS_DROP_NOT_OWNED,
	XVRRP_C_NS_DROP_STALE,
	XVRRP_C_NS_PASS_NON_VIP,
	XVRRP_C_NS_PASS_MALFORMED,
	XVRRP_C_NA_CONFLICT,        /* NA for an owned VIP from another MAC */
	XVRRP_C_VLAN,               /* frames that carried one 802.1Q tag */
	XVRRP_C_ARP_PASS_REPLY,     /* ARP replies (and other opcodes): kernel decides */
	XVRRP_C_NA_PASS,            /* neighbour advertisements: kernel decides */
	XVRRP_C_PASS_OTHER_VLAN,    /* tagged with a VLAN ID (another segment's), or QinQ: untouched */
	XVRRP_C_CONFLICT_RING_FULL, /* a conflict event was counted but not queued */
	XVRRP_C_NS_NO_TAILROOM,     /* NS for an owned VIP too short to grow into the NA: passed */
	XVRRP_C_VRRP_PASS,          /* valid advert passed to the controller */
	XVRRP_C_VRRP_ABSORBED,      /* valid advert identical to the followed master's: timestamped, dropped */
	XVRRP_C_VRRP_PASS_FOREIGN,  /* VRRP for a VRID no config here serves: another daemon's, untouched */
	XVRRP_C_VRRP_PASS_UNATTRIBUTED, /* VRRP whose VRID cannot be read (fragment, short): untouched */
	XVRRP_C_ARP_PASS_OTHER_DEST, /* request for an owned VIP not sent to broadcast or the group's MAC */
	XVRRP_C_NS_PASS_OTHER_DEST,  /* NS for an owned VIP not sent to its solicited-node MAC or the group's */
	XVRRP_C_ARP_SENDER_CONFLICT, /* ARP request whose sender IP is an owned VIP, from another MAC: reported, dropped */
	XVRRP_C_NS_SENDER_CONFLICT,  /* NS whose IPv6 source is an owned VIP, from another MAC: reported, dropped */
	XVRRP_C_VRRP_DROP_BASE,     /* + enum xvrrp_reason (> 0) */
	XVRRP_C_COUNT = (int)XVRRP_C_VRRP_DROP_BASE + (int)XVRRP_REASON_COUNT
};

/* xvrrp_vip4 / xvrrp_vip6 values: which group (VRID) a VIP belongs to. */
struct xvrrp_vip {
	__u8 vrid;
	__u8 pad[3];
};

struct xvrrp_vip6_key {
	__u8 addr[16];
};

/*
 * xvrrp_groups: array indexed by VRID. Owning a group is ONE write of this
 * value, whatever the number of VIPs that point at it.
 */
struct xvrrp_group {
	__u8 owned;                 /* 1: this node is MASTER, answer ARP/NS */
	__u8 config;                /* slot in xvrrp_configs whose heartbeat gates this group */
	__u8 mac[6];                /* source MAC of replies (interface or virtual MAC) */
	__u64 master_down_ns;       /* liveness gate: stop answering when the heartbeat is older */
};

#define XVRRP_VERSION_2 (1u << 2)
#define XVRRP_VERSION_3 (1u << 3)

/* xvrrp_vrids: array indexed by VRID, what adverts XDP lets through. */
struct xvrrp_vrid_config {
	__u8 configured;            /* 1: this VRID is ours */
	__u8 versions;              /* XVRRP_VERSION_2 | XVRRP_VERSION_3 */
	__u8 unicast;               /* 1: accept only sources in xvrrp_peers (of this config) */
	__u8 config;                /* slot in xvrrp_configs of the config that serves this VRID */
	__u8 pad[4];
};

/* xvrrp_peers key: a unicast peer address (IPv4 in the first 4 bytes) of one config. */
struct xvrrp_peer_key {
	__u8 family;                /* 4 or 6 */
	__u8 config;                /* slot in xvrrp_configs */
	__u8 pad[2];
	__u8 addr[16];
};

/*
 * xvrrp_configs: array indexed by config slot, mmapable. The program reads only
 * heartbeat_ns (bpf_ktime_get_ns() clock, CLOCK_MONOTONIC), which its controller
 * stores through the mapping (one aligned 64-bit store, no system call). The rest
 * is the registry of the configs sharing the interface: a slot is in use from
 * the config's first start until it stops for good (not while it restarts).
 */
struct xvrrp_config_slot {
	__u64 heartbeat_ns;
	__u32 in_use;               /* 1: a config holds this slot */
	__u32 pid;                  /* its controller's process id when it last started */
	char name[XVRRP_CONFIG_NAME_LEN]; /* its config name, NUL-padded (longer names: a prefix) */
	__u64 name_hash;            /* FNV-1a of the whole config name */
};

/*
 * xvrrp_conflicts ring buffer record: an ARP reply, gratuitous ARP or NA
 * that claims one of our owned VIPs for a MAC that is not the group's, or an
 * ARP request or NS sent from one of them (sender IP / IPv6 source) by such a
 * MAC. Which of these it was is in the counters, not in the record.
 */
struct xvrrp_conflict {
	__u8 family;                /* 4 or 6 */
	__u8 vrid;
	__u8 mac[6];                /* the MAC that claimed our VIP */
	__u8 addr[16];              /* the VIP (IPv4 in the first 4 bytes) */
};

/*
 * xvrrp_advert_filter: written by the controller only. While a group is BACKUP
 * and follows a master whose every advert only resets its master-down timer,
 * the controller arms the group's slot with that advert; a later advert that
 * passes every check and is byte-identical in its header and length, from the
 * same source, is "absorbed": the program stamps xvrrp_advert_seen and drops it,
 * and the controller reads the stamp when the master-down timer falls due
 * (docs/dataplane.md). The checksum in header[6..7] covers the address list.
 */
struct xvrrp_advert_filter {
	__u8 armed;                 /* 1: absorb repeats of this advert */
	__u8 pad;
	__u16 length;               /* VRRP message length, bytes */
	__u8 header[8];             /* version/type, VRID, priority, count, interval/auth, checksum */
	__u8 source[16];            /* IP source (IPv4 in the first 4 bytes) */
	__u8 pad2[4];
};

/* xvrrp_advert_seen: written by the program only (mmapable array, same index). */
struct xvrrp_advert_seen {
	__u64 ns;                   /* bpf_ktime_get_ns() of the newest absorbed repeat */
	__u64 count;                /* repeats absorbed since the map was created */
};

/* xvrrp_meta: one slot written by the loader that attached the program, never read by it. */
struct xvrrp_meta {
	__u32 abi_version;          /* XVRRP_ABI_VERSION of the loader that created the pins */
	__u32 reserved;             /* 0 (ABI 3: a load-time VLAN ID no controller ever set) */
};

#ifdef __cplusplus
#define XVRRP_ABI_ASSERT(c, m) static_assert(c, m)
#else
#define XVRRP_ABI_ASSERT(c, m) _Static_assert(c, m)
#endif
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_vip) == 4, "xvrrp_vip size");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_vip6_key) == 16, "xvrrp_vip6_key size");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_group) == 16, "xvrrp_group size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_group, mac) == 2, "xvrrp_group.mac offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_group, master_down_ns) == 8, "xvrrp_group.master_down_ns offset");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_vrid_config) == 8, "xvrrp_vrid_config size");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_peer_key) == 20, "xvrrp_peer_key size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_peer_key, addr) == 4, "xvrrp_peer_key.addr offset");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_config_slot) == 64, "xvrrp_config_slot size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_config_slot, heartbeat_ns) == 0, "xvrrp_config_slot.heartbeat_ns offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_config_slot, name) == 16, "xvrrp_config_slot.name offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_group, config) == 1, "xvrrp_group.config offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_vrid_config, config) == 3, "xvrrp_vrid_config.config offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_peer_key, config) == 1, "xvrrp_peer_key.config offset");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_conflict) == 24, "xvrrp_conflict size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_conflict, mac) == 2, "xvrrp_conflict.mac offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_conflict, addr) == 8, "xvrrp_conflict.addr offset");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_meta) == 8, "xvrrp_meta size");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_advert_filter) == 32, "xvrrp_advert_filter size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_advert_filter, header) == 4, "xvrrp_advert_filter.header offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_advert_filter, source) == 12, "xvrrp_advert_filter.source offset");
XVRRP_ABI_ASSERT(sizeof(struct xvrrp_advert_seen) == 16, "xvrrp_advert_seen size");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_vrid_config, unicast) == 2, "xvrrp_vrid_config.unicast offset");
XVRRP_ABI_ASSERT(__builtin_offsetof(struct xvrrp_group, owned) == 0, "xvrrp_group.owned offset");

#endif /* XVRRP_ABI_H */
