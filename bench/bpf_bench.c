/* eBPF run time: uroce's JIT and interpreter beside the Linux kernel's JIT on
 * the same bytecode, in the same run. The kernel runs each program as XDP
 * through BPF_PROG_TEST_RUN (repeat times in one syscall); uroce runs it
 * repeat times in a tight loop. Each figure is ns per run with the harness
 * cost (the empty program, timed the same way just before) subtracted;
 * median over reps, the columns interleaved within each rep. Time is the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), for the kernel and uroce
 * alike, so time spent descheduled on a busy machine is not counted.
 * Prints a table; --json FILE also writes the figures. Reports, never
 * asserts, timings (but refuses to time a program that computes a wrong r0). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "bpf_bench_progs.h"
#include "json_string.h"
#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

#ifdef BPF_BENCH_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>
_Static_assert(sizeof(struct bpf_insn) == sizeof(struct uroce_bpf_insn), "kernel and uroce instruction layouts differ");
#endif

enum col { COL_KERNEL, COL_JIT, COL_INTERP, COL_CHECKED, N_COLS };
static const char *const col_key[N_COLS] = {"kernel_jit", "uroce_jit", "uroce_interp", "uroce_interp_checked"};

#define MAX_REPS 31
#define MAX_PROGS 16
#define RAW_MEM_SIZE 64
#define WHY_LEN 512 /* a reason for n/a: ours plus uroce's or the verifier's sentence */

/* One program as one column runs it. */
struct engine_prog {
	bool ok;
	bool checked;                 /* uroce JIT column: an unverified program (run-time checks) */
	char why[WHY_LEN];            /* when !ok */
	int kfd;                      /* kernel program */
	uint32_t kxlated, kjited;     /* kernel: instructions after its verifier's rewrites, bytes of x86 code */
	struct uroce_bpf_prog *uprog; /* uroce program (JIT and interpreter columns may share one) */
	bool owns_uprog;
};

/* What a run gets: for uroce the context (rx struct, then the packet bytes
 * its data points to; or RAW memory), for the kernel the packet. */
struct run_input {
	struct {
		struct uroce_bpf_rx_ctx rx;
		uint8_t pkt[BENCH_PKT_LEN];
	} ctx;
	uint8_t raw[RAW_MEM_SIZE];
	uint8_t pkt[BENCH_PKT_LEN];
};

struct row {
	const struct bench_prog *p;
	uint64_t insns;               /* executed per run; 0 unknown */
	struct engine_prog e[N_COLS];
	double net[N_COLS][MAX_REPS]; /* ns per run, harness subtracted */
	double empty[N_COLS][MAX_REPS];
	uint32_t kdur[MAX_REPS];      /* the kernel's own .duration (integer ns per run), for reference */
	int n[N_COLS];
	double med[N_COLS], med_empty[N_COLS];
	double spread[N_COLS];        /* max - min of net over the reps */
	uint64_t runs[N_COLS];        /* runs of the program itself (map programs: what their counter must show) */
	char map_check[WHY_LEN];      /* map programs: did every run really update the maps? */
};

struct kernel_info {
	bool ok;
	char why[WHY_LEN];
	int jit_enable; /* /proc/sys/net/core/bpf_jit_enable, -1 unreadable */
	char release[80];
};

static volatile uint64_t sink;

static double cpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void na(struct engine_prog *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void na(struct engine_prog *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	e->ok = false;
}

static const char *uroce_why(void)
{
	const struct uroce_bpf_error *err = uroce_bpf_last_error();
	static __thread char buf[240];
	snprintf(buf, sizeof(buf), "%s: %s", uroce_bpf_errname(err->code), err->msg);
	return buf;
}

/* ------------------------------------------------------------ kernel ---- */

#ifdef BPF_BENCH_HAVE_LIBBPF
static int kernel_map_fds[MAX_PROGS][BENCH_MAX_MAPS];

/* The last non-empty line of the verifier's log. */
static const char *log_tail(char *log)
{
	size_t len = strlen(log);
	while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
		log[--len] = '\0';
	char *nl = strrchr(log, '\n');
	return nl ? nl + 1 : log;
}

static int kernel_load(const struct uroce_bpf_insn *insns, size_t n, const char *name, char *why, size_t why_size)
{
	struct bpf_insn kinsns[BENCH_MAX_INSNS];
	memcpy(kinsns, insns, n * sizeof(*insns));
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", kinsns, n, &opts);
	if (fd >= 0)
		return fd;
	int err = errno;
	static char log[1 << 16];
	log[0] = '\0';
	LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd2 = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", kinsns, n, &lopts);
	if (fd2 >= 0)
		close(fd2);
	snprintf(why, why_size, "bpf_prog_load(XDP): %s%s%s", strerror(err), log[0] ? "; verifier: " : "",
		 log_tail(log));
	return -1;
}

static int kernel_run(int fd, const uint8_t *pkt, uint64_t repeat, uint32_t *retval, uint32_t *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = BENCH_PKT_LEN, .repeat = (int)repeat);
	int r = bpf_prog_test_run_opts(fd, &t);
	*retval = t.retval;
	*duration = t.duration;
	return r;
}

static void kernel_probe(struct kernel_info *k)
{
	struct uroce_bpf_insn empty[2];
	size_t n = bench_prog_empty(empty);
	int fd = kernel_load(empty, n, "bench_probe", k->why, sizeof(k->why));
	if (fd < 0)
		return;
	uint8_t pkt[BENCH_PKT_LEN];
	bench_roce_frame(pkt);
	uint32_t ret, dur;
	if (kernel_run(fd, pkt, 1, &ret, &dur) != 0)
		snprintf(k->why, sizeof(k->why), "BPF_PROG_TEST_RUN: %s", strerror(errno));
	else
		k->ok = true;
	close(fd);
}

/* The kernel's copy: ldxw of xdp_md's 32-bit data/data_end in the
 * prologue, and the maps' fds in lddw src=1. */
static void kernel_bytecode(const struct bench_prog *p, const int *fds, struct uroce_bpf_insn *out)
{
	memcpy(out, p->insns, p->n * sizeof(*out));
	for (size_t i = 0; i < p->n_prologue; i++) {
		if (out[i].opcode == 0x79 && out[i].src_reg == 1) { /* ldxdw rX, [r1+off] */
			out[i].opcode = 0x61;                        /* ldxw rX, [r1+off/2] */
			out[i].offset = (int16_t)(out[i].offset / 2);
		}
	}
	for (size_t i = 0; i + 1 < p->n; i++) {
		if (out[i].opcode == 0x18 && out[i].src_reg == 1) {
			out[i].imm = fds[out[i].imm];
			i++;
		}
	}
}

static bool kernel_maps(const struct bench_prog *p, int *fds, char *why, size_t why_size)
{
	for (size_t m = 0; m < p->n_maps; m++) {
		const struct bench_map_spec *s = &p->maps[m];
		enum bpf_map_type type = s->type == UROCE_BPF_MAP_ARRAY ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH;
		fds[m] = bpf_map_create(type, s->name, s->key_size, s->value_size, s->max_entries, NULL);
		if (fds[m] < 0) {
			snprintf(why, why_size, "bpf_map_create(%s): %s", s->name, strerror(errno));
			return false;
		}
		for (uint32_t key = 0; key < s->prefill; key++) {
			uint64_t value = key;
			if (bpf_map_update_elem(fds[m], &key, &value, BPF_ANY) != 0) {
				snprintf(why, why_size, "bpf_map_update_elem(%s): %s", s->name, strerror(errno));
				return false;
			}
		}
	}
	return true;
}

static void kernel_prepare(struct row *r, size_t idx, const struct kernel_info *k)
{
	struct engine_prog *e = &r->e[COL_KERNEL];
	if (!k->ok) {
		na(e, "%s", k->why);
		return;
	}
	char why[WHY_LEN] = "";
	if (!kernel_maps(r->p, kernel_map_fds[idx], why, sizeof(why))) {
		na(e, "%s", why);
		return;
	}
	struct uroce_bpf_insn insns[BENCH_MAX_INSNS];
	kernel_bytecode(r->p, kernel_map_fds[idx], insns);
	e->kfd = kernel_load(insns, r->p->n, "bench_prog", why, sizeof(why));
	if (e->kfd < 0) {
		na(e, "%s", why);
		return;
	}
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(e->kfd, &info, &info_len) == 0) {
		e->kxlated = info.xlated_prog_len / 8;
		e->kjited = info.jited_prog_len;
	}
	e->ok = true;
}
#else
static void kernel_probe(struct kernel_info *k);
static void kernel_probe(struct kernel_info *k)
{
	snprintf(k->why, sizeof(k->why), "built without libbpf (pkg-config libbpf not found)");
}
#endif

static int read_jit_enable(void)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* ------------------------------------------------------------- uroce ---- */

static struct uroce_bpf_map *uroce_maps[MAX_PROGS][BENCH_MAX_MAPS];

static bool uroce_make_maps(const struct bench_prog *p, struct uroce_bpf_map **maps, char *why, size_t why_size)
{
	if (!p->n_maps)
		return true;
	for (size_t m = 0; m < p->n_maps; m++) {
		const struct bench_map_spec *s = &p->maps[m];
		struct uroce_bpf_map_attr attr = {
			.type = s->type, .key_size = s->key_size, .value_size = s->value_size, .max_entries = s->max_entries};
		snprintf(attr.name, sizeof(attr.name), "%s", s->name);
		if (uroce_bpf_map_create(&attr, &maps[m]) != UROCE_BPF_OK) {
			snprintf(why, why_size, "uroce_bpf_map_create(%s): %s", s->name, uroce_why());
			return false;
		}
		for (uint32_t key = 0; key < s->prefill; key++) {
			uint64_t value = key;
			if (uroce_bpf_map_update(maps[m], &key, &value, UROCE_BPF_ANY) != UROCE_BPF_OK) {
				snprintf(why, why_size, "uroce_bpf_map_update(%s): %s", s->name, uroce_why());
				return false;
			}
		}
	}
	return true;
}

static enum uroce_bpf_err uroce_load(const struct bench_prog *p, const struct uroce_bpf_insn *insns, size_t n,
				     struct uroce_bpf_map *const *maps, int jit, struct uroce_bpf_prog **out)
{
	struct uroce_bpf_load_opts opts = {
		.type = p->packet ? UROCE_BPF_PROG_RX : UROCE_BPF_PROG_RAW,
		.mem_size = p->packet ? 0 : RAW_MEM_SIZE,
		.maps = maps,
		.n_maps = p->n_maps,
		.jit = jit,
		.name = p->name,
	};
	return uroce_bpf_prog_load(insns, n, &opts, out);
}

/* Verified (prog_load) for the JIT and interpreter columns; created
 * (unverified, checked at run time) for the checked column, and for the JIT
 * column when the verified load fails but the JIT compiles. */
static void uroce_prepare(struct row *r, size_t idx)
{
	const struct bench_prog *p = r->p;
	struct engine_prog *jit = &r->e[COL_JIT], *interp = &r->e[COL_INTERP], *chk = &r->e[COL_CHECKED];
	char why[WHY_LEN] = "";

	if (!p->n_maps) {
		if (uroce_bpf_prog_create(p->insns, p->n, &chk->uprog) == UROCE_BPF_OK) {
			chk->ok = chk->owns_uprog = true;
		} else {
			na(chk, "uroce_bpf_prog_create: %s", uroce_why());
		}
	} else {
		na(chk, "lddw of a map needs uroce_bpf_prog_load (prog_create takes no maps)");
	}

	if (!uroce_make_maps(p, uroce_maps[idx], why, sizeof(why))) {
		na(jit, "%s", why);
		na(interp, "%s", why);
		return;
	}
	struct uroce_bpf_prog *prog;
	if (uroce_load(p, p->insns, p->n, uroce_maps[idx], 1, &prog) == UROCE_BPF_OK) {
		jit->uprog = interp->uprog = prog;
		jit->ok = interp->ok = jit->owns_uprog = true;
		return;
	}
	snprintf(why, sizeof(why), "uroce_bpf_prog_load(jit): %s", uroce_why());
	if (uroce_load(p, p->insns, p->n, uroce_maps[idx], 0, &prog) == UROCE_BPF_OK) {
		interp->uprog = prog;
		interp->ok = interp->owns_uprog = true;
		na(jit, "%s", why); /* verified, but the JIT refused */
		return;
	}
	na(interp, "uroce_bpf_prog_load: %s", uroce_why());
	/* Not verified: the JIT may still run the created program with checks. */
	if (chk->ok && uroce_bpf_prog_jit(chk->uprog) == UROCE_BPF_OK) {
		jit->uprog = chk->uprog;
		jit->ok = jit->checked = true;
	} else {
		na(jit, "%s; unverified: %s", why, chk->ok ? uroce_why() : "not created");
	}
}

static void *uroce_ctx(struct run_input *in, const struct bench_prog *p, enum col c, size_t *len)
{
	if (!p->packet) {
		*len = sizeof(in->raw);
		return in->raw;
	}
	/* Verified programs get exactly the rx context; checked ones may only
	 * touch their context, so it spans the packet the data pointers name. */
	bool checked = c == COL_CHECKED;
	*len = checked ? sizeof(in->ctx) : sizeof(in->ctx.rx);
	return &in->ctx;
}

static void input_init(struct run_input *in, const struct bench_prog *p)
{
	memset(in, 0, sizeof(*in));
	if (p->packet)
		memcpy(in->pkt, p->pkt, BENCH_PKT_LEN);
	else
		bench_roce_frame(in->pkt); /* XDP needs a packet even when the program ignores it */
	memcpy(in->ctx.pkt, in->pkt, BENCH_PKT_LEN);
	in->ctx.rx.data = (uint64_t)(uintptr_t)in->ctx.pkt;
	in->ctx.rx.data_end = (uint64_t)(uintptr_t)(in->ctx.pkt + BENCH_PKT_LEN);
	in->ctx.rx.ingress_port = 1;
	in->ctx.rx.pkt_len = BENCH_PKT_LEN;
}

/* ----------------------------------------------------------- running ---- */

/* Runs e repeat times; ns per run (thread CPU time), or < 0 with *fail set. */
static double time_runs(enum col c, const struct engine_prog *e, const struct bench_prog *p, struct run_input *in,
			uint64_t repeat, uint64_t *r0_out, uint32_t *kdur, char *fail, size_t fail_size)
{
	uint64_t r0 = 0;
	double t0, t1;
	if (c == COL_KERNEL) {
#ifdef BPF_BENCH_HAVE_LIBBPF
		uint32_t ret = 0, dur = 0;
		t0 = cpu_now_ns();
		int rc = kernel_run(e->kfd, in->pkt, repeat, &ret, &dur);
		t1 = cpu_now_ns();
		if (rc != 0) {
			snprintf(fail, fail_size, "BPF_PROG_TEST_RUN: %s", strerror(errno));
			return -1;
		}
		r0 = ret;
		if (kdur)
			*kdur = dur;
#else
		(void)kdur;
		snprintf(fail, fail_size, "no libbpf");
		return -1;
#endif
	} else {
		size_t len;
		void *ctx = uroce_ctx(in, p, c, &len);
		enum uroce_bpf_err err = UROCE_BPF_OK;
		uint64_t acc = 0;
		if (c == COL_JIT) {
			t0 = cpu_now_ns();
			for (uint64_t i = 0; i < repeat; i++) {
				err |= uroce_bpf_run_jit(e->uprog, ctx, len, &r0);
				acc += r0;
			}
			t1 = cpu_now_ns();
		} else {
			t0 = cpu_now_ns();
			for (uint64_t i = 0; i < repeat; i++) {
				err |= uroce_bpf_run_interp(e->uprog, ctx, len, &r0);
				acc += r0;
			}
			t1 = cpu_now_ns();
		}
		sink += acc;
		if (err != UROCE_BPF_OK) {
			snprintf(fail, fail_size, "run failed: %s", uroce_why());
			return -1;
		}
	}
	*r0_out = r0;
	return (t1 - t0) / (double)repeat;
}

/* One run must give the expected r0 before any timing. */
static void check_result(struct row *r, enum col c, struct run_input *in)
{
	struct engine_prog *e = &r->e[c];
	const struct bench_prog *p = r->p;
	if (!e->ok)
		return;
	r->runs[c]++;
	uint64_t r0 = 0;
	char fail[WHY_LEN];
	if (time_runs(c, e, p, in, 1, &r0, NULL, fail, sizeof(fail)) < 0) {
		na(e, "%s", fail);
		return;
	}
	uint64_t want = c == COL_KERNEL ? (uint32_t)p->expect_r0 : p->expect_r0;
	if (r0 != want)
		na(e, "wrong result: r0 = %#llx, expected %#llx", (unsigned long long)r0, (unsigned long long)want);
}

/* Instructions one run executes: the least instruction budget with which the
 * checked interpreter completes a run. */
static uint64_t count_insns(const struct row *r, struct run_input *in)
{
	if (r->p->insns_executed)
		return r->p->insns_executed;
	const struct engine_prog *chk = &r->e[COL_CHECKED];
	if (!chk->ok)
		return 0;
	size_t len;
	void *ctx = uroce_ctx(in, r->p, COL_CHECKED, &len);
	uint64_t lo = 1, hi = 1u << 20, r0;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		uroce_bpf_prog_set_insn_budget(chk->uprog, mid);
		if (uroce_bpf_run_interp(chk->uprog, ctx, len, &r0) == UROCE_BPF_OK)
			hi = mid;
		else
			lo = mid + 1;
	}
	uroce_bpf_prog_set_insn_budget(chk->uprog, 0);
	return lo;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];
	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The map program adds 1 to array[7] each run: after all runs the counter
 * must be 7 (its prefill) plus the runs made, in each runtime. */
static void check_map_counter(struct row *r, size_t idx)
{
	if (!r->p->n_maps)
		return;
	const uint32_t key = 7;
	char *out = r->map_check;
	size_t size = sizeof(r->map_check), used = 0;
	out[0] = '\0';
#ifdef BPF_BENCH_HAVE_LIBBPF
	if (r->e[COL_KERNEL].ok) {
		uint64_t v = 0, want = key + r->runs[COL_KERNEL];
		if (bpf_map_lookup_elem(kernel_map_fds[idx][0], &key, &v) == 0)
			used += (size_t)snprintf(out + used, size - used, "kernel array[7] = %llu (%s); ",
						 (unsigned long long)v, v == want ? "= 7 + runs" : "WRONG: != 7 + runs");
	}
#endif
	if ((r->e[COL_JIT].ok || r->e[COL_INTERP].ok) && uroce_maps[idx][0] && used < size) {
		uint64_t v = 0, want = key + r->runs[COL_JIT] + r->runs[COL_INTERP];
		if (uroce_bpf_map_lookup(uroce_maps[idx][0], &key, &v) == UROCE_BPF_OK)
			snprintf(out + used, size - used, "uroce array[7] = %llu (%s)", (unsigned long long)v,
				 v == want ? "= 7 + runs" : "WRONG: != 7 + runs");
	}
}

/* ------------------------------------------------------------ output ---- */

static void cpu_name(char *out, size_t size)
{
	snprintf(out, size, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon += 2;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, size, "%s", colon);
			break;
		}
	}
	fclose(f);
}

struct footnotes {
	char text[MAX_PROGS * N_COLS][WHY_LEN];
	int n;
};

/* A cell: the figure, or n/a with a footnote number (same reason, same number). */
static void cell(FILE *out, int width, bool ok, double v, int prec, const char *why, struct footnotes *fn)
{
	if (ok) {
		fprintf(out, " %*.*f", width, prec, v);
		return;
	}
	int k;
	for (k = 0; k < fn->n; k++)
		if (strcmp(fn->text[k], why) == 0)
			break;
	if (k == fn->n && fn->n < (int)(sizeof(fn->text) / sizeof(fn->text[0])))
		snprintf(fn->text[fn->n++], sizeof(fn->text[0]), "%s", why);
	char buf[32];
	snprintf(buf, sizeof(buf), "n/a[%d]", k + 1);
	fprintf(out, " %*s", width, buf);
}

static bool col_ok(const struct row *r, enum col c)
{
	return r->e[c].ok && r->n[c] > 0;
}

static const char *col_why(const struct row *r, enum col c)
{
	return r->e[c].ok ? "not measured" : r->e[c].why;
}

static void print_table(FILE *out, const struct row *rows, size_t n, const char *cpu, const struct kernel_info *k,
			uint64_t repeat, int reps)
{
	struct footnotes fn = {.n = 0};
	fprintf(out, "eBPF ns per run: median of %d interleaved reps of %llu runs, each less the empty program's "
		     "cost timed just before it (thread CPU time)\n",
		reps, (unsigned long long)repeat);
	fprintf(out, "CPU: %s; kernel %s; bpf_jit_enable=%d; kernel: XDP via BPF_PROG_TEST_RUN on a %d-byte packet\n",
		cpu, k->release, k->jit_enable, BENCH_PKT_LEN);
	fprintf(out, "Packet programs: uroce rx context, data/data_end by ldxdw at 0/8; kernel xdp_md by ldxw at 0/4 "
		     "(the only difference: 2 prologue instructions); the rest is the same bytecode.\n");
	fprintf(out, "interp = verified program (uroce_bpf_prog_load); interp_chk = uroce_bpf_prog_create, checked "
		     "at run time. A JIT figure marked * runs an unverified program (checked).\n\n");
	fprintf(out, "%-13s %6s %10s %10s %8s %10s %8s %10s %8s\n", "program", "insns", "kernel_jit", "uroce_jit",
		"jit/kern", "interp", "ns/insn", "interp_chk", "ns/insn");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (r->insns)
			fprintf(out, "%-13s %6llu", r->p->name, (unsigned long long)r->insns);
		else
			fprintf(out, "%-13s %6s", r->p->name, "?");
		cell(out, 10, col_ok(r, COL_KERNEL), r->med[COL_KERNEL], 2, col_why(r, COL_KERNEL), &fn);
		if (col_ok(r, COL_JIT) && r->e[COL_JIT].checked)
			fprintf(out, " %9.2f*", r->med[COL_JIT]);
		else
			cell(out, 10, col_ok(r, COL_JIT), r->med[COL_JIT], 2, col_why(r, COL_JIT), &fn);
		bool both = col_ok(r, COL_KERNEL) && col_ok(r, COL_JIT);
		bool ratio_ok = both && r->med[COL_KERNEL] > 0;
		const char *no_ratio = both ? "the kernel's figure is <= 0: the program costs less than the harness's noise"
					    : "a JIT column is n/a";
		/* A figure below its own rep-to-rep spread is noise: its ratio says little. */
		bool noisy = ratio_ok && (r->med[COL_KERNEL] < r->spread[COL_KERNEL] || r->med[COL_JIT] < r->spread[COL_JIT]);
		if (noisy)
			fprintf(out, " %7.3f~", r->med[COL_JIT] / r->med[COL_KERNEL]);
		else
			cell(out, 8, ratio_ok, ratio_ok ? r->med[COL_JIT] / r->med[COL_KERNEL] : 0, 3, no_ratio, &fn);
		cell(out, 10, col_ok(r, COL_INTERP), r->med[COL_INTERP], 2, col_why(r, COL_INTERP), &fn);
		cell(out, 8, col_ok(r, COL_INTERP) && r->insns, r->insns ? r->med[COL_INTERP] / (double)r->insns : 0, 3,
		     col_ok(r, COL_INTERP) ? "instruction count unknown" : col_why(r, COL_INTERP), &fn);
		cell(out, 10, col_ok(r, COL_CHECKED), r->med[COL_CHECKED], 2, col_why(r, COL_CHECKED), &fn);
		cell(out, 8, col_ok(r, COL_CHECKED) && r->insns, r->insns ? r->med[COL_CHECKED] / (double)r->insns : 0,
		     3, col_ok(r, COL_CHECKED) ? "instruction count unknown" : col_why(r, COL_CHECKED), &fn);
		fprintf(out, "\n");
	}
	fprintf(out, "\nHarness cost subtracted (empty program `r0 = 1; exit`, ns per run, median):");
	for (int c = 0; c < N_COLS; c++) {
		double sum = 0;
		int cnt = 0;
		for (size_t i = 0; i < n; i++)
			if (col_ok(&rows[i], (enum col)c))
				sum += rows[i].med_empty[c], cnt++;
		if (cnt)
			fprintf(out, " %s %.2f;", col_key[c], sum / cnt);
	}
	fprintf(out, "\n~: a figure of the ratio is below its spread over the reps (max - min): noise, not a result.");
	fprintf(out, "\nTargets: JIT <= 1.0 x kernel JIT; interpreter <= 3 ns per instruction.\n");
	for (int k2 = 0; k2 < fn.n; k2++)
		fprintf(out, "[%d] n/a (%s)\n", k2 + 1, fn.text[k2]);
	fprintf(out, "\nPrograms:\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(out, "  %-13s %s; %zu slots", r->p->name, r->p->what, r->p->n);
		if (r->e[COL_KERNEL].ok && r->e[COL_KERNEL].kxlated)
			fprintf(out, "; kernel: %u after its verifier, %u B of x86", r->e[COL_KERNEL].kxlated,
				r->e[COL_KERNEL].kjited);
		fprintf(out, "\n");
		if (r->map_check[0])
			fprintf(out, "  %-13s check after the runs: %s\n", "", r->map_check);
	}
	fprintf(out, "(The kernel's verifier rewrites programs: guards on divisions, inlined map lookups, dead code "
		     "removed; \"after its verifier\" is what its JIT compiled.)\n");
}

static bool write_json(const char *path, const struct row *rows, size_t n, const char *cpu,
		       const struct kernel_info *k, uint64_t repeat, int reps)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bpf_bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f, "{\n  \"benchmark\": \"bpf\",\n  \"unit\": \"ns per run\",\n  \"cpu\": ");
	json_write_string(f, cpu);
	fprintf(f, ",\n  \"kernel\": ");
	json_write_string(f, k->release);
	fprintf(f, ",\n  \"bpf_jit_enable\": %d,\n  \"repeat\": %llu,\n  \"reps\": %d,\n", k->jit_enable,
		(unsigned long long)repeat, reps);
	fprintf(f, "  \"targets\": {\"jit_over_kernel_max\": 1.0, \"interp_ns_per_insn_max\": 3.0},\n  \"results\": [\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(f, "    {\"program\": ");
		json_write_string(f, r->p->name);
		fprintf(f, ", \"insns\": %llu, \"slots\": %zu", (unsigned long long)r->insns, r->p->n);
		if (r->e[COL_KERNEL].ok)
			fprintf(f, ", \"kernel_xlated_insns\": %u, \"kernel_jited_bytes\": %u", r->e[COL_KERNEL].kxlated,
				r->e[COL_KERNEL].kjited);
		for (int c = 0; c < N_COLS; c++) {
			if (col_ok(r, (enum col)c)) {
				fprintf(f, ", \"%s_ns\": %.3f, \"%s_spread_ns\": %.3f, \"%s_empty_ns\": %.3f", col_key[c],
					r->med[c], col_key[c], r->spread[c], col_key[c], r->med_empty[c]);
				if (c == COL_JIT && r->e[c].checked)
					fprintf(f, ", \"uroce_jit_checked\": true");
			} else {
				fprintf(f, ", \"%s_ns\": null, \"%s_na\": ", col_key[c], col_key[c]);
				json_write_string(f, col_why(r, (enum col)c));
			}
		}
		if (col_ok(r, COL_KERNEL)) {
			double d[MAX_REPS];
			for (int j = 0; j < r->n[COL_KERNEL]; j++)
				d[j] = r->kdur[j];
			fprintf(f, ", \"kernel_test_run_duration_ns\": %.1f", median(d, r->n[COL_KERNEL]));
		}
		if (col_ok(r, COL_KERNEL) && col_ok(r, COL_JIT) && r->med[COL_KERNEL] > 0)
			fprintf(f, ", \"jit_over_kernel\": %.4f", r->med[COL_JIT] / r->med[COL_KERNEL]);
		if (r->map_check[0]) {
			fprintf(f, ", \"map_check\": ");
			json_write_string(f, r->map_check);
		}
		if (col_ok(r, COL_INTERP) && r->insns)
			fprintf(f, ", \"interp_ns_per_insn\": %.4f", r->med[COL_INTERP] / (double)r->insns);
		if (col_ok(r, COL_CHECKED) && r->insns)
			fprintf(f, ", \"interp_checked_ns_per_insn\": %.4f", r->med[COL_CHECKED] / (double)r->insns);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
}

/* -------------------------------------------------------------- main ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: bpf_bench [--json FILE|-] [--repeat N] [--reps N] [--only NAME]\n"
		   "  ns per run of eBPF programs in uroce's JIT and interpreter and in the kernel's\n"
		   "  JIT (XDP, BPF_PROG_TEST_RUN), harness cost subtracted; medians of --reps (5)\n"
		   "  interleaved repetitions of --repeat (1000000) runs. --only: programs whose\n"
		   "  name contains NAME.\n");
}

/* The empty program of each column, for a program's kind (packet or not). */
struct empties {
	struct engine_prog e[2][N_COLS];
};

static void prepare_empties(struct empties *em, const struct kernel_info *k)
{
	struct uroce_bpf_insn insns[2];
	size_t n = bench_prog_empty(insns);
	for (int packet = 0; packet < 2; packet++) {
		struct bench_prog p = {.name = "empty", .packet = packet};
		memcpy(p.insns, insns, sizeof(insns));
		p.n = n;
		p.expect_r0 = 1;
		struct row r = {.p = &p};
#ifdef BPF_BENCH_HAVE_LIBBPF
		kernel_prepare(&r, 0, k);
#else
		(void)k;
		na(&r.e[COL_KERNEL], "built without libbpf");
#endif
		uroce_prepare(&r, 0);
		memcpy(em->e[packet], r.e, sizeof(r.e));
	}
}

int main(int argc, char **argv)
{
	const char *json_path = NULL, *only = NULL;
	uint64_t repeat = 1000000;
	int reps = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
			repeat = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || repeat < 1 || repeat > 0x7fffffff) {
		fprintf(stderr, "bpf_bench: --reps must be 1..%d and --repeat 1..2^31-1\n", MAX_REPS);
		return 2;
	}

	static struct bench_prog progs[MAX_PROGS];
	size_t n_all = bench_progs_build(progs, MAX_PROGS);
	if (!n_all)
		return 1;

	struct kernel_info k = {.ok = false, .jit_enable = read_jit_enable()};
	struct utsname u;
	snprintf(k.release, sizeof(k.release), "%s", uname(&u) == 0 ? u.release : "?");
	kernel_probe(&k);
	if (!k.ok)
		fprintf(stderr, "bpf_bench: kernel column unavailable (%s)\n", k.why);

	static struct row rows[MAX_PROGS];
	static struct run_input inputs[MAX_PROGS];
	size_t n = 0;
	for (size_t i = 0; i < n_all; i++) {
		if (only && !strstr(progs[i].name, only))
			continue;
		struct row *r = &rows[n];
		r->p = &progs[i];
		input_init(&inputs[n], r->p);
#ifdef BPF_BENCH_HAVE_LIBBPF
		kernel_prepare(r, n, &k);
#else
		na(&r->e[COL_KERNEL], "%s", k.why);
#endif
		uroce_prepare(r, n);
		for (int c = 0; c < N_COLS; c++)
			check_result(r, (enum col)c, &inputs[n]);
		r->insns = count_insns(r, &inputs[n]);
		n++;
	}
	struct empties em;
	prepare_empties(&em, &k);

	for (int rep = 0; rep < reps; rep++) {
		for (size_t i = 0; i < n; i++) {
			struct row *r = &rows[i];
			struct run_input *in = &inputs[i];
			for (int k2 = 0; k2 < N_COLS; k2++) {
				enum col c = (enum col)((k2 + rep) % N_COLS); /* rotate so no column always goes first */
				struct engine_prog *e = &r->e[c];
				const struct engine_prog *empty = &em.e[r->p->packet][c];
				if (!e->ok)
					continue;
				if (!empty->ok) {
					na(e, "the empty program: %s", empty->why);
					continue;
				}
				struct bench_prog ep = {.packet = r->p->packet};
				char fail[WHY_LEN];
				uint64_t r0;
				double t_empty = time_runs(c, empty, &ep, in, repeat, &r0, NULL, fail, sizeof(fail));
				double t = t_empty < 0 ? -1
						       : time_runs(c, e, r->p, in, repeat, &r0,
								   &r->kdur[r->n[c]], fail, sizeof(fail));
				if (t < 0) {
					na(e, "%s", fail);
					continue;
				}
				r->runs[c] += repeat;
				r->empty[c][r->n[c]] = t_empty;
				r->net[c][r->n[c]++] = t - t_empty;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < N_COLS; c++)
			if (col_ok(&rows[i], (enum col)c)) {
				rows[i].med[c] = median(rows[i].net[c], rows[i].n[c]);
				rows[i].med_empty[c] = median(rows[i].empty[c], rows[i].n[c]);
				double lo = rows[i].net[c][0], hi = lo;
				for (int j = 1; j < rows[i].n[c]; j++) {
					lo = rows[i].net[c][j] < lo ? rows[i].net[c][j] : lo;
					hi = rows[i].net[c][j] > hi ? rows[i].net[c][j] : hi;
				}
				rows[i].spread[c] = hi - lo;
			}

	for (size_t i = 0; i < n; i++)
		check_map_counter(&rows[i], i);
	char cpu[128];
	cpu_name(cpu, sizeof(cpu));
	bool json_stdout = json_path && strcmp(json_path, "-") == 0;
	print_table(json_stdout ? stderr : stdout, rows, n, cpu, &k, repeat, reps);
	bool ok = !json_path || write_json(json_path, rows, n, cpu, &k, repeat, reps);

	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < N_COLS; c++) {
			if (rows[i].e[c].owns_uprog)
				uroce_bpf_prog_free(rows[i].e[c].uprog);
#ifdef BPF_BENCH_HAVE_LIBBPF
			if (c == COL_KERNEL && rows[i].e[c].ok)
				close(rows[i].e[c].kfd);
#endif
		}
		for (size_t m = 0; m < rows[i].p->n_maps; m++)
			uroce_bpf_map_put(uroce_maps[i][m]);
	}
	for (int packet = 0; packet < 2; packet++)
		for (int c = 0; c < N_COLS; c++)
			if (em.e[packet][c].owns_uprog)
				uroce_bpf_prog_free(em.e[packet][c].uprog);
	return ok ? 0 : 1;
}
