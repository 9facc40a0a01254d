/* TEMPORARY while the pieces land in parallel: weak placeholders that refuse,
 * overridden by the real definitions (verifier.c, jit_x86_64.c, map*.c,
 * helpers.c). Deleted once every piece has landed. */
#include "bpf/helper_proto.h"
#include "bpf/jit.h"
#include "bpf/map.h"
#include "bpf/verifier.h"

#define WEAK __attribute__((weak))

WEAK enum uroce_bpf_err bpf_verify(struct uroce_bpf_prog *prog, const struct uroce_bpf_load_opts *opts)
{
	(void)prog;
	(void)opts;
	return bpf_error(UROCE_BPF_ERR_VERIFIER, -1, NULL, "the verifier is not built yet");
}
WEAK enum uroce_bpf_err bpf_jit_compile(struct uroce_bpf_prog *prog)
{
	(void)prog;
	return bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the JIT is not built yet");
}
WEAK enum uroce_bpf_err bpf_jit_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0)
{
	(void)prog, (void)ctx, (void)ctx_len, (void)r0;
	return bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the JIT is not built yet");
}
WEAK void bpf_jit_free(struct uroce_bpf_prog *prog)
{
	(void)prog;
}
WEAK const struct bpf_helper_proto *bpf_std_helper(uint32_t id)
{
	(void)id;
	return NULL;
}
WEAK void *bpf_map_array_value(struct uroce_bpf_map *map, uint32_t key)
{
	(void)map, (void)key;
	return NULL;
}
WEAK struct uroce_bpf_map *uroce_bpf_map_get(struct uroce_bpf_map *map)
{
	return map;
}
WEAK void uroce_bpf_map_put(struct uroce_bpf_map *map)
{
	(void)map;
}
WEAK const struct uroce_bpf_map_attr *uroce_bpf_map_attr(const struct uroce_bpf_map *map)
{
	(void)map;
	static const struct uroce_bpf_map_attr none;
	return &none;
}
