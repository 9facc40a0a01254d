/* Drops a configured fraction of received packets (rx hook), for testing
 * recovery from loss.
 *
 * config[0].per_mille is the probability of a drop in thousandths (0 passes
 * everything, 1000 drops everything); with match_opcode set, only packets of
 * that BTH opcode are candidates. drop_stats[0] counts the candidates seen,
 * drop_stats[1] the packets dropped. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uroce/bpf_ctx.h"

struct drop_config {
	__u32 per_mille;    /* 0..1000 */
	__u32 match_opcode; /* non-zero: only packets whose opcode is `opcode` */
	__u32 opcode;
};

enum { STAT_SEEN = 0, STAT_DROPPED = 1, STAT_COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drop_stats SEC(".maps");

/* A separate function (a bpf-to-bpf call): 1 when counted. */
static __attribute__((noinline)) int count_stat(__u32 stat)
{
	__u64 *count = bpf_map_lookup_elem(&drop_stats, &stat);
	if (!count)
		return 0;
	__sync_fetch_and_add(count, 1);
	return 1;
}

/* Another: true with probability per_mille / 1000. */
static __attribute__((noinline)) int should_drop(__u32 per_mille)
{
	return bpf_get_prandom_u32() % 1000 < per_mille;
}

SEC("uroce/rx")
int drop_fraction(struct uroce_bpf_rx_ctx *ctx)
{
	__u32 zero = 0;
	struct drop_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->per_mille == 0)
		return UROCE_BPF_PASS;
	if (cfg->match_opcode && ctx->opcode != cfg->opcode)
		return UROCE_BPF_PASS;
	if (!count_stat(STAT_SEEN))
		return UROCE_BPF_PASS; /* the stats are missing: something is off, do no harm */
	if (!should_drop(cfg->per_mille))
		return UROCE_BPF_PASS;
	count_stat(STAT_DROPPED);
	return UROCE_BPF_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
