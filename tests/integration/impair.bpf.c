/* A tc direct-action classifier that impairs RoCE v2 traffic (UDP port 4791,
 * either direction) for integration tests, on a kernel without sch_netem:
 * it drops, duplicates and corrupts a configurable fraction of packets and
 * counts what it did. Other traffic passes untouched (unless blackhole_tcp).
 *
 *   clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c impair.bpf.c -o impair.bpf.o
 *   tc qdisc add dev IF clsact
 *   tc filter add dev IF ingress bpf da obj impair.bpf.o sec impair
 * then set the rates and read the counters with impair_ctl (impair_ctl.c),
 * given the program id that `tc filter show dev IF ingress` prints.
 *
 * Attach it at INGRESS, with UDP GSO off on the sending veth end
 * (`ip link set dev IF gso_max_segs 1`): tc egress runs before segmentation
 * and sees a whole UDP GSO message (up to 64 datagrams) as one packet, so
 * only the peer's ingress sees single datagrams, as a wire would carry them.
 * A duplicate is therefore a clone re-injected at the same ingress.
 *
 * Reordering cannot be done here: tc has no way to hold a packet back
 * without netem or fq (neither is in this kernel); the loop port's transport
 * test covers reordering. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ROCE_UDP_PORT 4791
#define RATE_SCALE 10000 /* rates are in parts per 10000 */
#define CLONE_MARK 0x1eb0c10e /* a duplicate coming round again: pass it untouched */
#define BTH_LEN 12
#define BTH_MASKED_BYTE 4 /* FECN/BECN/reserved: outside the ICRC, so a flip there is not corruption */

/* Set by impair_ctl before traffic starts; all zero passes everything. */
struct impair_cfg {
	__u32 loss;          /* per 10000 packets */
	__u32 dup;
	__u32 corrupt;
	__u32 blackhole_tcp; /* non-zero: drop every TCP packet (to hide a killed peer's FIN from the survivor) */
};

enum impair_stat {
	ST_SEEN,        /* RoCE packets looked at (duplicates not counted again) */
	ST_DROPPED,
	ST_DUPLICATED,
	ST_CORRUPTED,
	ST_GSO,         /* RoCE packets that were GSO batches: GSO is not off on the sender */
	ST_DUP_FAILED,  /* bpf_clone_redirect refused */
	ST_TCP_DROPPED,
	ST_COUNT
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct impair_cfg);
} impair_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} impair_stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&impair_stats, &stat);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int chance(__u32 rate)
{
	return rate && bpf_get_prandom_u32() % RATE_SCALE < rate;
}

/* Offset of the UDP header and the L4 protocol; -1 when not IPv4/IPv6 or a
 * non-first fragment (no L4 header to look at). */
static __always_inline int l4_offset(struct __sk_buff *skb, __u8 *proto)
{
	__u16 eth_proto;
	if (bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &eth_proto, sizeof(eth_proto)))
		return -1;
	if (eth_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
			return -1;
		if (ip.frag_off & bpf_htons(0x1fff))
			return -1;
		*proto = ip.protocol;
		return ETH_HLEN + ip.ihl * 4;
	}
	if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6)))
			return -1;
		*proto = ip6.nexthdr; /* RoCE v2 sends no extension headers */
		return ETH_HLEN + sizeof(ip6);
	}
	return -1;
}

/* Flips one bit in a random byte of the UDP payload (BTH, extension headers,
 * data, ICRC), leaving the checksum alone: RoCE sends UDP checksum 0 and the
 * ICRC must catch it. */
static __always_inline int corrupt(struct __sk_buff *skb, int l4, __u16 udp_len)
{
	if (udp_len <= sizeof(struct udphdr) + BTH_LEN)
		return -1;
	__u32 plen = udp_len - sizeof(struct udphdr);
	__u32 off = bpf_get_prandom_u32() % plen;
	if (off == BTH_MASKED_BYTE)
		off++;
	__u32 at = l4 + sizeof(struct udphdr) + off;
	__u8 b;
	if (bpf_skb_load_bytes(skb, at, &b, 1))
		return -1;
	/* One bit: CRC-32 catches every single-bit error, also with the receiver's
	 * IPv4-identification solving (checked up to 4 KiB packets). Random byte
	 * patterns would hit that solving's blind spot (some 2-bit errors in byte
	 * 93 after the BTH start pass) and make the test fail now and then. */
	b ^= (__u8)(1u << (bpf_get_prandom_u32() % 8));
	return bpf_skb_store_bytes(skb, at, &b, 1, 0);
}

SEC("impair")
int impair_roce(struct __sk_buff *skb)
{
	if (skb->mark == CLONE_MARK) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	__u32 zero = 0;
	struct impair_cfg *cfg = bpf_map_lookup_elem(&impair_cfg, &zero);
	if (!cfg)
		return TC_ACT_OK;
	__u8 proto = 0;
	int l4 = l4_offset(skb, &proto);
	if (l4 < 0)
		return TC_ACT_OK;
	if (proto == IPPROTO_TCP && cfg->blackhole_tcp) {
		count(ST_TCP_DROPPED);
		return TC_ACT_SHOT;
	}
	if (proto != IPPROTO_UDP)
		return TC_ACT_OK;
	struct udphdr udp;
	if (bpf_skb_load_bytes(skb, l4, &udp, sizeof(udp)))
		return TC_ACT_OK;
	if (udp.dest != bpf_htons(ROCE_UDP_PORT) && udp.source != bpf_htons(ROCE_UDP_PORT))
		return TC_ACT_OK;

	count(ST_SEEN);
	if (skb->gso_segs > 1)
		count(ST_GSO);
	if (chance(cfg->loss)) {
		count(ST_DROPPED);
		return TC_ACT_SHOT;
	}
	if (chance(cfg->dup)) {
		/* The clone shares the data: a later corruption of this packet unshares it first. */
		skb->mark = CLONE_MARK;
		long err = bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
		skb->mark = 0;
		count(err ? ST_DUP_FAILED : ST_DUPLICATED);
	}
	if (chance(cfg->corrupt) && corrupt(skb, l4, bpf_ntohs(udp.len)) == 0)
		count(ST_CORRUPTED);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
