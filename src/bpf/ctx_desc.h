/* Context descriptors: for each program type, what r1 points to, which
 * fields exist, their sizes, what they hold and which are writable. */
#ifndef UROCE_BPF_CTX_DESC_H
#define UROCE_BPF_CTX_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "uroce/bpf.h"

enum bpf_ctx_field_kind {
	BPF_CTX_SCALAR = 0, /* a number; narrower loads within it are allowed */
	BPF_CTX_PKT_DATA,   /* an 8-byte load gives a packet pointer */
	BPF_CTX_PKT_END,    /* an 8-byte load gives the packet's end */
};

struct bpf_ctx_field {
	uint16_t off;
	uint16_t size;
	uint8_t kind;      /* enum bpf_ctx_field_kind */
	bool writable;     /* scalars only */
	const char *name;
};

struct bpf_ctx_desc {
	const char *name;  /* "rx", "qp_filter", ... */
	/* raw: r1 is plain memory of mem_size bytes, any access inside is fine,
	 * and r2 holds mem_size. Otherwise r1 is a context of `size` bytes. */
	bool raw;
	uint32_t size;
	const struct bpf_ctx_field *fields;
	uint32_t n_fields;
	/* The range of r0 at exit the hook accepts (inclusive); any if min > max. */
	int64_t ret_min, ret_max;
};

const struct bpf_ctx_desc *bpf_ctx_desc_for(enum uroce_bpf_prog_type type);
/* The program type whose section name (ELF) is `section` ("uroce/rx",
 * "uroce/qp_filter", "uroce/trace", and "raw" / "socket" / "xdp"-style
 * aliases as documented in the .c); -1 if none. */
int bpf_prog_type_for_section(const char *section);

#endif
