/* uroce eBPF runtime — the public API.
 *
 * Two ways to a program. uroce_bpf_prog_load() decodes RFC 9669 instructions,
 * resolves their maps, verifies them for a program type (the hook's context)
 * and optionally compiles them to x86-64; a verified program runs with no
 * run-time checks. uroce_bpf_prog_create() only decodes; such a program runs
 * with every memory access checked (the context and the stack are all it can
 * reach) and an instruction budget: the conformance suite's way.
 * Objects made by clang -target bpf are opened and loaded below ("objects").
 *
 * Calls return UROCE_BPF_OK or an error code; uroce_bpf_last_error() then
 * says in a sentence what was wrong and at which instruction (per thread).
 */
#ifndef UROCE_BPF_H
#define UROCE_BPF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One instruction slot, RFC 9669 section 3: opcode, registers, offset,
 * immediate, in host byte order (the registers' nibble order follows it). */
struct uroce_bpf_insn {
	uint8_t opcode;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	uint8_t src_reg : 4;
	uint8_t dst_reg : 4;
#else
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
#endif
	int16_t offset;
	int32_t imm;
};

/* Limits of the runtime. */
#define UROCE_BPF_MAX_INSNS          (1u << 20) /* instruction slots in one program */
#define UROCE_BPF_STACK_SIZE         512u       /* bytes of stack per call frame */
#define UROCE_BPF_MAX_CALL_FRAMES    8u         /* the program's frame and 7 nested bpf-to-bpf calls */
#define UROCE_BPF_MAX_HELPER_ID      1023u      /* helper numbers are 0..this */
#define UROCE_BPF_DEFAULT_INSN_BUDGET (1ull << 24) /* instructions one run may execute */

enum uroce_bpf_err {
	UROCE_BPF_OK = 0,
	UROCE_BPF_ERR_INVALID_ARG,       /* a NULL pointer, no instructions, or more than UROCE_BPF_MAX_INSNS */
	UROCE_BPF_ERR_NO_MEMORY,         /* allocation failed */
	/* found when the program is created */
	UROCE_BPF_ERR_OPCODE,            /* opcode not in the instruction set */
	UROCE_BPF_ERR_RESERVED,          /* a field the instruction does not use is not zero, or a bad sub-code */
	UROCE_BPF_ERR_REGISTER,          /* register above r10, or r10 (read-only) as a destination */
	UROCE_BPF_ERR_LDDW,              /* lddw without its second slot, or the second slot malformed */
	UROCE_BPF_ERR_LDDW_SRC,          /* lddw source other than a constant, a map or a map value, or a map index out of range */
	UROCE_BPF_ERR_JUMP_TARGET,       /* jump or call target outside the program or inside an lddw */
	UROCE_BPF_ERR_CALL_KIND,         /* call by BTF id (src = 2): not supported */
	UROCE_BPF_ERR_HELPER_ID,         /* helper number above UROCE_BPF_MAX_HELPER_ID */
	/* found while running */
	UROCE_BPF_ERR_MEM_ACCESS,        /* load or store outside the context and the stack */
	UROCE_BPF_ERR_MISALIGNED_ATOMIC, /* atomic operation on an address not aligned to its size */
	UROCE_BPF_ERR_NO_HELPER,         /* call of a helper number with no function registered */
	UROCE_BPF_ERR_CALL_DEPTH,        /* a bpf-to-bpf call beyond UROCE_BPF_MAX_CALL_FRAMES frames */
	UROCE_BPF_ERR_BUDGET,            /* the run executed more instructions than its budget */
	UROCE_BPF_ERR_FELL_OFF,          /* execution went past the last instruction without exit */
	/* loading, maps, engines */
	UROCE_BPF_ERR_VERIFIER,          /* the verifier rejected the program (the message says where and why) */
	UROCE_BPF_ERR_JIT,               /* the JIT cannot compile here (not x86-64, or no executable memory) */
	UROCE_BPF_ERR_MAP_ATTR,          /* map attributes invalid for its type */
	UROCE_BPF_ERR_MAP_OP,            /* operation the map's type does not have (e.g. delete in an array) */
	UROCE_BPF_ERR_NOENT,             /* no such key, or no such pinned name */
	UROCE_BPF_ERR_EXIST,             /* key exists (BPF_NOEXIST), or the pin name is taken */
	UROCE_BPF_ERR_FULL,              /* the map has max_entries elements (E2BIG) */
	UROCE_BPF_ERR_ELF,               /* the object file is malformed or uses something unsupported */
	UROCE_BPF_ERR_COUNT
};

/* What went wrong, where. */
struct uroce_bpf_error {
	enum uroce_bpf_err code;
	int64_t insn;       /* index of the instruction slot at fault; -1 when none */
	char msg[192];      /* a sentence naming the instruction and the reason */
};

/* This thread's last error from a call below. */
const struct uroce_bpf_error *uroce_bpf_last_error(void);
/* A sentence describing an error code; never NULL. */
const char *uroce_bpf_strerror(enum uroce_bpf_err err);
/* The code's short name, e.g. "MEM_ACCESS". */
const char *uroce_bpf_errname(enum uroce_bpf_err err);

/* A helper: r0 = fn(r1, r2, r3, r4, r5). Pointer arguments are addresses in
 * this process; a helper is trusted code. */
typedef uint64_t (*uroce_bpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5);

struct uroce_bpf_prog;

/* Copies and decodes n instruction slots (an lddw takes two). */
enum uroce_bpf_err uroce_bpf_prog_create(const struct uroce_bpf_insn *insns, size_t n,
					 struct uroce_bpf_prog **out);
void uroce_bpf_prog_free(struct uroce_bpf_prog *prog);

/* Registers (or with fn NULL, removes) helper number id for `call id` and
 * callx. Register helpers before runs start: this is not safe during a run. */
enum uroce_bpf_err uroce_bpf_prog_set_helper(struct uroce_bpf_prog *prog, uint32_t id,
					     uroce_bpf_helper_fn fn);

/* Instructions one run may execute before it ends with UROCE_BPF_ERR_BUDGET
 * (0 means the default, UROCE_BPF_DEFAULT_INSN_BUDGET). */
void uroce_bpf_prog_set_insn_budget(struct uroce_bpf_prog *prog, uint64_t max_insns);

/* Runs the program: r1 = ctx, r2 = ctx_len, r10 = the top of a fresh stack;
 * *r0 receives r0 at exit. The JIT's code when the program has some, else
 * the interpreter. An unverified program may load and store within
 * [ctx, ctx + ctx_len) and its stack frames, nothing else; a verified one was
 * proven to keep to its context. Runs of one program may proceed in several
 * threads at once. */
enum uroce_bpf_err uroce_bpf_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len,
				 uint64_t *r0);

/* ---------------------------------------------------------------- maps ----
 * Types, flags and per-CPU value layout as the kernel's bpf(2). Maps are
 * reference counted: a program that uses a map holds a reference. */
enum uroce_bpf_map_type {
	UROCE_BPF_MAP_HASH = 1,
	UROCE_BPF_MAP_ARRAY = 2,
	UROCE_BPF_MAP_PERCPU_ARRAY = 6,
	UROCE_BPF_MAP_LRU_HASH = 9,
	UROCE_BPF_MAP_RINGBUF = 27, /* key_size = value_size = 0; max_entries = bytes, a power of 2, >= 4096 */
};

/* Update flags (the kernel's BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
#define UROCE_BPF_ANY     0u
#define UROCE_BPF_NOEXIST 1u
#define UROCE_BPF_EXIST   2u

#define UROCE_BPF_MAP_NAME_LEN 32u

struct uroce_bpf_map_attr {
	enum uroce_bpf_map_type type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags; /* map_flags; only 0 is accepted for now */
	char name[UROCE_BPF_MAP_NAME_LEN];
};

struct uroce_bpf_map;

enum uroce_bpf_err uroce_bpf_map_create(const struct uroce_bpf_map_attr *attr, struct uroce_bpf_map **out);
/* Adds a reference; returns map. */
struct uroce_bpf_map *uroce_bpf_map_get(struct uroce_bpf_map *map);
/* Drops a reference; the map is freed with its last one. NULL is ignored. */
void uroce_bpf_map_put(struct uroce_bpf_map *map);
const struct uroce_bpf_map_attr *uroce_bpf_map_attr(const struct uroce_bpf_map *map);

/* As bpf(BPF_MAP_LOOKUP_ELEM, ...): copies the value out. For per-CPU maps,
 * value receives uroce_bpf_num_possible_cpus() slots of value_size rounded up
 * to 8 bytes, as the syscall does. */
enum uroce_bpf_err uroce_bpf_map_lookup(struct uroce_bpf_map *map, const void *key, void *value);
/* flags: UROCE_BPF_ANY, _NOEXIST or _EXIST. Per-CPU: value holds every CPU's slot. */
enum uroce_bpf_err uroce_bpf_map_update(struct uroce_bpf_map *map, const void *key, const void *value,
					uint64_t flags);
enum uroce_bpf_err uroce_bpf_map_delete(struct uroce_bpf_map *map, const void *key);
/* key NULL (or not in the map) gives the first key; UROCE_BPF_ERR_NOENT after the last. */
enum uroce_bpf_err uroce_bpf_map_get_next_key(struct uroce_bpf_map *map, const void *key, void *next_key);
unsigned uroce_bpf_num_possible_cpus(void);

/* Pinning by name within this process: the pin holds a reference. */
enum uroce_bpf_err uroce_bpf_map_pin(struct uroce_bpf_map *map, const char *name);
enum uroce_bpf_err uroce_bpf_map_unpin(const char *name);
/* A new reference to the map pinned as name. */
enum uroce_bpf_err uroce_bpf_map_get_pinned(const char *name, struct uroce_bpf_map **out);

/* Ring buffer consumer: calls cb for each submitted record in order, stopping
 * early when cb returns non-zero; *n (may be NULL) gets the records consumed.
 * One consumer thread at a time. */
typedef int (*uroce_bpf_ringbuf_cb)(void *cb_ctx, const void *data, size_t size);
enum uroce_bpf_err uroce_bpf_ringbuf_consume(struct uroce_bpf_map *map, uroce_bpf_ringbuf_cb cb, void *cb_ctx,
					     size_t *n);

/* Where the trace_printk helper's lines go (one call per line, without its
 * newline; calls are serialised). NULL restores the default, stderr. */
void uroce_bpf_set_trace_sink(void (*sink)(const char *line, void *arg), void *arg);

/* ------------------------------------------------------ loading programs ----
 * A program type names the hook it attaches to and so its context. */
enum uroce_bpf_prog_type {
	/* r1 = mem_size bytes of readable and writable memory, r2 = mem_size:
	 * the bpf_conformance convention, and the CLI's "run on input bytes". */
	UROCE_BPF_PROG_RAW = 0,
	UROCE_BPF_PROG_RX,         /* every received packet: struct uroce_bpf_rx_ctx (bpf_ctx.h) */
	UROCE_BPF_PROG_QP_FILTER,  /* one QP's incoming packets: struct uroce_bpf_rx_ctx */
	UROCE_BPF_PROG_TRACEPOINT, /* transport events: struct uroce_bpf_trace_ctx, read-only */
	UROCE_BPF_PROG_TYPE_COUNT
};

struct uroce_bpf_load_opts {
	enum uroce_bpf_prog_type type;
	size_t mem_size;                   /* UROCE_BPF_PROG_RAW only */
	/* lddw src=1 (BPF_PSEUDO_MAP_FD), imm = i: the pointer to maps[i];
	 * lddw src=2 (BPF_PSEUDO_MAP_VALUE), imm = i, next imm = off: the
	 * address of byte off of the value of array maps[i] (key 0). */
	struct uroce_bpf_map *const *maps;
	size_t n_maps;
	int jit;                           /* non-zero: compile to x86-64 as well */
	char *log;                         /* verifier log (may be NULL): the verdict and, */
	size_t log_size;                   /* with log_level 1, the state at each instruction */
	unsigned log_level;
	const char *name;                  /* for messages and listings (may be NULL) */
};

/* Decodes and verifies the program for its type (the standard helpers are
 * available), then JIT-compiles it when asked. A verified program runs with
 * no run-time checks in either engine. */
enum uroce_bpf_err uroce_bpf_prog_load(const struct uroce_bpf_insn *insns, size_t n,
				       const struct uroce_bpf_load_opts *opts, struct uroce_bpf_prog **out);
enum uroce_bpf_prog_type uroce_bpf_prog_type(const struct uroce_bpf_prog *prog);
int uroce_bpf_prog_verified(const struct uroce_bpf_prog *prog);

/* Compiles an already created program (verified or not; an unverified one
 * gets run-time checks in its code, as in the interpreter). */
enum uroce_bpf_err uroce_bpf_prog_jit(struct uroce_bpf_prog *prog);
int uroce_bpf_prog_jitted(const struct uroce_bpf_prog *prog);

/* uroce_bpf_run uses the JIT's code when there is some, else the interpreter;
 * these two choose. */
enum uroce_bpf_err uroce_bpf_run_interp(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len,
					uint64_t *r0);
enum uroce_bpf_err uroce_bpf_run_jit(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len,
				     uint64_t *r0);

/* ------------------------------------------------------------- objects ----
 * An object file as `clang -O2 -g -target bpf -c prog.bpf.c` writes it, with
 * libbpf's <bpf/bpf_helpers.h>: each executable section but .text holds
 * programs (one per function symbol) for the hook its name gives:
 * SEC("uroce/rx"), "uroce/qp_filter", "uroce/trace", "raw" or "uroce/raw"
 * (a "/suffix" may follow). Maps come from ".maps" (BTF-defined: __uint,
 * __type) or the legacy "maps" section (struct bpf_map_def). Functions in
 * .text that a program calls are appended to it. Global variables (.data,
 * .rodata, .bss) are not supported: keep such state in an array map.
 *
 * Opening parses, checks and relocates without creating anything: each
 * program's instructions then name maps by index (lddw src=1, imm = the map's
 * index in the object, as uroce_bpf_load_opts.maps) and its calls of .text
 * functions land on their appended copies. Loading creates the maps and
 * loads (verifies) the programs. A malformed object is refused with
 * UROCE_BPF_ERR_ELF and a sentence saying what is wrong. */
struct uroce_bpf_object;
struct uroce_bpf_object_prog;

/* buf is copied from as needed (it may be freed after the call); name (may
 * be NULL) is for messages. */
enum uroce_bpf_err uroce_bpf_object_open_mem(const void *buf, size_t len, const char *name,
					     struct uroce_bpf_object **out);
enum uroce_bpf_err uroce_bpf_object_open_file(const char *path, struct uroce_bpf_object **out);
/* Frees the object, its loaded programs and its references to its maps
 * (a map pinned or held elsewhere lives on). NULL is ignored. */
void uroce_bpf_object_close(struct uroce_bpf_object *obj);
const char *uroce_bpf_object_name(const struct uroce_bpf_object *obj);

struct uroce_bpf_object_load_opts {
	int jit;          /* non-zero: compile each program to x86-64 as well */
	size_t mem_size;  /* UROCE_BPF_PROG_RAW programs: bytes at r1 */
	char *log;        /* the verifier's log of the program loaded last (may be NULL) */
	size_t log_size;
	unsigned log_level;
};

/* Creates the maps not created (or reused) yet, then loads every program not
 * loaded yet, stopping at the first failure (the error names the program).
 * opts may be NULL. */
enum uroce_bpf_err uroce_bpf_object_load(struct uroce_bpf_object *obj,
					 const struct uroce_bpf_object_load_opts *opts);
/* Creates the maps not created (or reused) yet, and nothing else. */
enum uroce_bpf_err uroce_bpf_object_create_maps(struct uroce_bpf_object *obj);
/* Loads one program (creating the object's maps first when needed). */
enum uroce_bpf_err uroce_bpf_object_prog_load(struct uroce_bpf_object_prog *prog,
					      const struct uroce_bpf_object_load_opts *opts);

/* Programs, in section order and, within a section, by offset. */
size_t uroce_bpf_object_prog_count(const struct uroce_bpf_object *obj);
struct uroce_bpf_object_prog *uroce_bpf_object_prog_at(const struct uroce_bpf_object *obj, size_t i);
/* By function name; NULL if none. */
struct uroce_bpf_object_prog *uroce_bpf_object_find_prog(const struct uroce_bpf_object *obj, const char *name);
/* The first program of the section named exactly so; NULL if none. */
struct uroce_bpf_object_prog *uroce_bpf_object_find_prog_by_section(const struct uroce_bpf_object *obj,
								    const char *section);
const char *uroce_bpf_object_prog_name(const struct uroce_bpf_object_prog *prog);
const char *uroce_bpf_object_prog_section(const struct uroce_bpf_object_prog *prog);
enum uroce_bpf_prog_type uroce_bpf_object_prog_type(const struct uroce_bpf_object_prog *prog);
/* The relocated instructions (the program's function, then the .text
 * functions it calls); *n gets the number of slots. */
const struct uroce_bpf_insn *uroce_bpf_object_prog_insns(const struct uroce_bpf_object_prog *prog, size_t *n);
/* The loaded program (owned by the object), or NULL before a successful load. */
struct uroce_bpf_prog *uroce_bpf_object_prog_loaded(const struct uroce_bpf_object_prog *prog);

/* Maps, in symbol table order: map i is what lddw src=1 imm=i names. */
size_t uroce_bpf_object_map_count(const struct uroce_bpf_object *obj);
/* The map's declaration (name truncated to UROCE_BPF_MAP_NAME_LEN - 1); NULL if i is out of range. */
const struct uroce_bpf_map_attr *uroce_bpf_object_map_spec(const struct uroce_bpf_object *obj, size_t i);
/* The map's full name as in the object; NULL if i is out of range. */
const char *uroce_bpf_object_map_name(const struct uroce_bpf_object *obj, size_t i);
/* The created (or reused) map, NULL before loading; the object holds the
 * reference (take one with uroce_bpf_map_get to keep it past close). */
struct uroce_bpf_map *uroce_bpf_object_map(const struct uroce_bpf_object *obj, size_t i);
/* Index of the map named so, or -1. */
long uroce_bpf_object_map_index(const struct uroce_bpf_object *obj, const char *name);
struct uroce_bpf_map *uroce_bpf_object_find_map(const struct uroce_bpf_object *obj, const char *name);
/* Before the maps are created: use map (e.g. a pinned one, shared with
 * another object) for the map named so; type, sizes and max_entries must
 * match its declaration. The object takes a reference. */
enum uroce_bpf_err uroce_bpf_object_reuse_map(struct uroce_bpf_object *obj, const char *name,
					      struct uroce_bpf_map *map);

#ifdef __cplusplus
}
#endif

#endif
