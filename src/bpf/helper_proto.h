/* What the verifier knows of a helper: its number, the kinds of its
 * arguments and of its result. The function is what both engines call. */
#ifndef UROCE_BPF_HELPER_PROTO_H
#define UROCE_BPF_HELPER_PROTO_H

#include <stdint.h>

#include "uroce/bpf.h"

enum bpf_arg_kind {
	BPF_ARG_NONE = 0,          /* not an argument: the register is not read */
	BPF_ARG_ANYTHING,          /* any initialised scalar (no pointer: it would leak) */
	BPF_ARG_CONST_MAP_PTR,     /* a map from lddw src=1 */
	BPF_ARG_PTR_TO_MAP_KEY,    /* stack (or map value) memory of the map's key_size, initialised */
	BPF_ARG_PTR_TO_MAP_VALUE,  /* stack (or map value) memory of the map's value_size, initialised */
	BPF_ARG_PTR_TO_MEM,        /* readable initialised memory; its size is the next argument */
	BPF_ARG_PTR_TO_UNINIT_MEM, /* writable memory the helper fills; its size is the next argument */
	BPF_ARG_CONST_SIZE,        /* a scalar with known bounds, 1..range of the previous pointer */
	BPF_ARG_CONST_SIZE_OR_ZERO,/* the same, 0 allowed */
	BPF_ARG_CONST_ALLOC_SIZE,  /* a known constant > 0: size of a ring buffer record */
	BPF_ARG_PTR_TO_ALLOC_MEM,  /* a record from ringbuf_reserve, not NULL, unreleased; released by the call */
	BPF_ARG_PTR_TO_CTX,        /* the context pointer, unmodified */
};

enum bpf_ret_kind {
	BPF_RET_INTEGER = 0,
	BPF_RET_VOID,                     /* r0 is not readable after the call */
	BPF_RET_PTR_TO_MAP_VALUE_OR_NULL, /* value of the map passed as argument 1 */
	BPF_RET_PTR_TO_ALLOC_MEM_OR_NULL, /* record of the size passed as argument 2; must be released */
};

struct bpf_helper_proto {
	uint32_t id;           /* the kernel's helper number */
	const char *name;      /* the kernel's name without "bpf_": "map_lookup_elem" */
	uroce_bpf_helper_fn fn;
	uint8_t ret;           /* enum bpf_ret_kind */
	uint8_t args[5];       /* enum bpf_arg_kind, r1..r5 */
};

/* The standard helpers every program type may call (NULL if id is not one):
 * map_lookup_elem 1, map_update_elem 2, map_delete_elem 3, ktime_get_ns 5,
 * trace_printk 6, get_prandom_u32 7, get_smp_processor_id 8,
 * ringbuf_output 130, ringbuf_reserve 131, ringbuf_submit 132,
 * ringbuf_discard 133, ringbuf_query 134. */
const struct bpf_helper_proto *bpf_std_helper(uint32_t id);

#endif
