/* The verifier's own types, shared by its files: abstract register and
 * stack state, the exploration's environment, and the functions each file
 * provides. Nothing outside src/bpf/verifier*.c includes this. */
#ifndef UROCE_BPF_VERIFIER_INTERNAL_H
#define UROCE_BPF_VERIFIER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/ctx_desc.h"
#include "bpf/helper_proto.h"
#include "bpf/insn.h"
#include "bpf/prog.h"

#define V_MAX_PROCESSED 1000000u /* instructions explored before giving up */
#define V_MAX_PENDING   8192u    /* frames of branches waiting to be explored (a frame is ~6 KiB) */
#define V_MAX_STATES    16384u   /* frames of states kept for pruning, in all */
#define V_STATES_PER_INSN 64u    /* states kept for pruning at one instruction */
#define V_MAX_REFS      16u      /* ring buffer records held at once */
#define V_OFF_LIMIT     (1 << 29) /* |constant offset| and variable offset of a pointer */
#define V_STACK_SLOTS   (UROCE_BPF_STACK_SIZE / 8)

/* Known bits: a bit is known when its mask bit is 0, and then it is value's. */
struct tnum {
	uint64_t value;
	uint64_t mask;
};

enum vreg_type {
	R_NOT_INIT = 0,
	R_SCALAR,
	R_PTR_CTX,         /* hook context, constant offset */
	R_PTR_MEM,         /* RAW: mem_size bytes */
	R_PTR_STACK,       /* a frame's stack: frameno, constant offset from its r10 */
	R_PTR_PACKET,      /* packet data + var + off; range bytes proven from data + var */
	R_PTR_PACKET_END,
	R_CONST_MAP_PTR,
	R_PTR_MAP_VALUE,
	R_PTR_MAP_VALUE_OR_NULL,
	R_PTR_ALLOC_MEM,   /* a ring buffer record (holds reference ref_id) */
	R_PTR_ALLOC_MEM_OR_NULL,
	R_TYPE_COUNT
};

struct vreg {
	uint8_t type;       /* enum vreg_type */
	uint8_t frameno;    /* R_PTR_STACK: the frame it points into */
	uint32_t id;        /* _OR_NULL: shared by copies; PACKET: identifies the variable part (0: none) */
	uint32_t ref_id;    /* ALLOC_MEM(_OR_NULL): the reference held */
	int32_t off;        /* pointers: constant offset */
	uint32_t range;     /* PACKET: bytes proven readable from data + var */
	uint32_t mem_size;  /* MEM, ALLOC_MEM, MAP_VALUE: bytes the pointer's object has */
	const struct uroce_bpf_map *map; /* CONST_MAP_PTR, MAP_VALUE(_OR_NULL) */
	/* SCALAR: its value. Pointers: the variable part of the offset, always
	 * within [0, V_OFF_LIMIT]. */
	struct tnum var;
	uint64_t umin, umax;
	int64_t smin, smax;
};

enum vslot {
	S_INVALID = 0, /* never written: reading it is an error */
	S_MISC,        /* some scalar bytes */
	S_ZERO,        /* known zero */
	S_SPILL,       /* part of an 8-byte spilled register (spill[slot]) */
};

struct vframe {
	struct vreg regs[BPF_REG_COUNT];
	uint8_t stack[UROCE_BPF_STACK_SIZE];  /* enum vslot per byte; index = 512 + offset from r10 */
	struct vreg spill[V_STACK_SLOTS];     /* by 8-byte slot */
	int32_t callsite;                     /* the call instruction that made this frame (-1: main) */
	uint32_t subprog;                     /* first instruction of the function */
};

struct vref {
	uint32_t id;
	int32_t insn; /* where it was acquired, for the message */
};

struct vstate {
	struct vframe *frames[UROCE_BPF_MAX_CALL_FRAMES];
	uint32_t cur;  /* index of the current frame */
	struct vref refs[V_MAX_REFS];
	uint32_t n_refs;
};

/* A state kept at a prune point. */
struct vvisited {
	struct vstate st;
	struct vvisited *next;
	uint32_t depth;  /* pending branches when stored: complete once back at this depth */
	uint64_t hash;   /* of the state, to find an equal one fast */
	bool complete;   /* every path from here was explored */
};

struct vpending {
	struct vstate st;
	uint32_t idx;
};

enum { F_PRUNE = 1, F_LDDW_HI = 2, F_SUBPROG = 4, F_REACHED = 8 };

struct venv {
	struct uroce_bpf_prog *prog;
	const struct bpf_op *ops;
	const struct uroce_bpf_insn *insns;
	uint32_t n;
	const struct bpf_ctx_desc *desc;
	uint8_t *flags;            /* per instruction, F_* */
	struct vstate cur;
	uint32_t idx;
	struct vpending *pend;
	uint32_t n_pend, cap_pend;
	struct vvisited **visited; /* per instruction */
	uint16_t *n_visited;       /* per instruction */
	struct vvisited **incomplete;
	uint32_t n_incomplete, cap_incomplete;
	uint32_t n_states;         /* kept for pruning */
	uint32_t n_state_frames;   /* their frames, against V_MAX_STATES */
	uint32_t n_pend_frames;    /* frames of the pending branches, against V_MAX_PENDING */
	uint64_t processed;
	uint32_t next_id;
	uint32_t max_stack;        /* deepest byte used below any frame's r10 */
	bool failed;
	char *log;
	size_t log_size, log_len;
	unsigned log_level;
};

/* Result of stepping one instruction. */
enum vstep { V_NEXT, V_JUMPED, V_PATH_DONE, V_ERROR };

/* ---- verifier.c ---- */
/* Rejects: sets the thread's error (index and mnemonic prefixed) and returns V_ERROR. */
enum vstep verr(struct venv *env, uint32_t idx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vlog(struct venv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *vreg_type_name(uint8_t type);
/* Saves a copy of the current state, to be explored from idx later. */
enum vstep vpush_branch(struct venv *env, uint32_t idx);

/* ---- verifier_cfg.c ---- */
/* Subprograms, jumps between them, fall-through, reachability, callx. */
enum uroce_bpf_err vcfg_check(struct venv *env);

/* ---- verifier_tnum.c ---- */
struct tnum tnum_const(uint64_t v);
struct tnum tnum_unknown(void);
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned k);
struct tnum tnum_rshift(struct tnum a, unsigned k);
struct tnum tnum_arshift(struct tnum a, unsigned k, unsigned bits);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, unsigned bytes);
bool tnum_conflict(struct tnum a, struct tnum b);
bool tnum_in(struct tnum outer, struct tnum inner);
bool tnum_is_const(struct tnum a);

/* ---- verifier_state.c ---- */
bool vstate_init(struct venv *env, struct vstate *st);
bool vstate_copy(struct vstate *dst, const struct vstate *src);
void vstate_free(struct vstate *st);
struct vframe *vframe_new(void);
void vreg_mark_unknown(struct vreg *r);
void vreg_mark_const(struct vreg *r, uint64_t v);
void vreg_mark_not_init(struct vreg *r);
bool vreg_is_const(const struct vreg *r);
bool vreg_is_pointer(const struct vreg *r);
/* Tightens bounds from each other; false when they are empty (an impossible branch). */
bool vreg_sync(struct vreg *r);
/* Calls fn on every register and spilled register of every frame. */
void vstate_for_each_reg(struct vstate *st, void (*fn)(struct vreg *r, void *arg), void *arg);
/* Pruning at a prune point: 1 = pruned (path done), 0 = go on, -1 = error (set). */
int vstate_prune(struct venv *env, uint32_t idx);
void vstate_complete(struct venv *env);
void vvisited_free_all(struct venv *env);
/* One-line description of a register for logs and messages. */
void vreg_describe(const struct vreg *r, char *buf, size_t size);

/* ---- verifier_alu.c ---- */
enum vstep valu(struct venv *env, const struct bpf_op *op);

/* ---- verifier_jmp.c ---- */
enum vstep vjmp(struct venv *env, const struct bpf_op *op);

/* ---- verifier_mem.c ---- */
enum vstep vmem(struct venv *env, const struct bpf_op *op);
/* A helper reads (write false) or writes `size` bytes at reg: checks bounds,
 * initialisation, and marks written stack bytes. what names the argument. */
enum vstep vmem_helper_access(struct venv *env, uint32_t regno, uint64_t size, bool write, bool zero_ok);
/* Marks the stack bytes a frame uses (for prog->stack_depth). */
void vmem_note_stack(struct venv *env, int64_t off);
/* Sets r to an unknown scalar as a load of `size` bytes gives it. */
void vmem_load_result(struct vreg *r, unsigned size, bool sign_extend);

/* ---- verifier_call.c ---- */
enum vstep vcall_helper(struct venv *env, const struct bpf_op *op);
enum vstep vcall_local(struct venv *env, const struct bpf_op *op);
enum vstep vexit(struct venv *env);
/* The null branch of a record check: the reference is gone with it. */
void vref_drop(struct vstate *st, uint32_t id);

static inline struct vframe *vcur_frame(struct venv *env)
{
	return env->cur.frames[env->cur.cur];
}

static inline struct vreg *vreg_of(struct venv *env, unsigned regno)
{
	return &vcur_frame(env)->regs[regno];
}

#endif
