/* uroce-bpf: looks at, verifies and runs eBPF objects for uroce's hooks.
 *
 *   uroce-bpf verify OBJ [--section S | --prog NAME] [-v]
 *   uroce-bpf run OBJ --prog NAME [--jit | --interp] [--input HEX | --input-file F] [--repeat N]
 *   uroce-bpf maps OBJ
 *   uroce-bpf dump OBJ MAP [--all] [--prog NAME --input HEX ...]   (runs the program first)
 *   uroce-bpf disasm OBJ [--section S | --prog NAME]
 * OBJ is an object from clang -O2 -g -target bpf -c; with --raw FILE instead,
 * FILE holds bare instructions (8-byte slots, no maps) run as a RAW program
 * (--type rx|qp_filter|trace|raw picks another hook).
 *
 * Running: a raw program gets the input bytes at r1 and their length in r2;
 * an rx or qp_filter program gets a struct uroce_bpf_rx_ctx around the input
 * as the packet (the BTH fields parsed from it); a trace program gets the
 * input as its struct uroce_bpf_trace_ctx (zero-padded). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/helper_proto.h"
#include "bpf/insn.h"
#include "hex_bytes.h"
#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

#define LOG_SIZE (1u << 20)
#define INPUT_MAX (1u << 20)

struct options {
	const char *cmd;
	const char *obj_path;
	const char *map_name;
	const char *raw_path;
	const char *section;
	const char *prog;
	const char *input_hex;
	const char *input_file;
	const char *type;
	unsigned long repeat;
	long mem_size;
	int verbose;
	int jit;    /* 1 --jit, -1 --interp, 0 either */
	int all;
};

/* The loaded thing a command works on: an object, or bare instructions. */
struct target {
	struct uroce_bpf_object *obj;
	struct uroce_bpf_insn *raw;
	size_t n_raw;
	enum uroce_bpf_prog_type raw_type;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: uroce-bpf COMMAND OBJ [options]   (OBJ: an object from clang -O2 -g -target bpf -c)\n"
		"  verify OBJ [--section S | --prog NAME] [-v]   verify each program, print its verdict\n"
		"  run OBJ --prog NAME [--jit | --interp] [--input HEX | --input-file F] [--repeat N]\n"
		"                                                run a program once (or N times), print r0\n"
		"  maps OBJ                                      list the maps the object declares\n"
		"  dump OBJ MAP [--all] [--prog NAME --input HEX]  print a map's entries (after a run)\n"
		"  disasm OBJ [--section S | --prog NAME]        print the relocated instructions\n"
		"Instead of OBJ, --raw FILE gives bare 8-byte instruction slots (no maps), loaded as\n"
		"--type raw (the default), rx, qp_filter or trace; --mem-size N sets a raw program's\n"
		"memory for verify (run uses the input's length).\n"
		"Input: HEX is hex bytes, spaces allowed (\"04 00 ff ff\"); for rx programs it is the packet\n"
		"from the BTH on, for trace programs the struct uroce_bpf_trace_ctx bytes, for raw ones r1's memory.\n");
}

static int fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "uroce-bpf: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(run uroce-bpf --help for the commands and options)\n");
	return 2;
}

static int fail_bpf(const char *what)
{
	const struct uroce_bpf_error *e = uroce_bpf_last_error();
	fprintf(stderr, "uroce-bpf: %s: %s (%s)\n", what, e->msg, uroce_bpf_errname(e->code));
	return 1;
}

static long read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap, f);
	bool more = fgetc(f) != EOF;
	fclose(f);
	return more ? -1 : (long)n;
}

static int parse_type(const char *name, enum uroce_bpf_prog_type *type)
{
	static const struct {
		const char *name;
		enum uroce_bpf_prog_type type;
	} types[] = {{"raw", UROCE_BPF_PROG_RAW},
		     {"rx", UROCE_BPF_PROG_RX},
		     {"qp_filter", UROCE_BPF_PROG_QP_FILTER},
		     {"trace", UROCE_BPF_PROG_TRACEPOINT}};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, types[i].name) == 0) {
			*type = types[i].type;
			return 0;
		}
	return -1;
}

static const char *type_name(enum uroce_bpf_prog_type type)
{
	switch (type) {
	case UROCE_BPF_PROG_RAW:
		return "raw";
	case UROCE_BPF_PROG_RX:
		return "rx";
	case UROCE_BPF_PROG_QP_FILTER:
		return "qp_filter";
	case UROCE_BPF_PROG_TRACEPOINT:
		return "trace";
	default:
		return "?";
	}
}

static const char *map_type_name(enum uroce_bpf_map_type type)
{
	switch (type) {
	case UROCE_BPF_MAP_HASH:
		return "hash";
	case UROCE_BPF_MAP_ARRAY:
		return "array";
	case UROCE_BPF_MAP_PERCPU_ARRAY:
		return "percpu_array";
	case UROCE_BPF_MAP_LRU_HASH:
		return "lru_hash";
	case UROCE_BPF_MAP_RINGBUF:
		return "ringbuf";
	default:
		return "unsupported";
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	if (argc < 2)
		return fail_usage("%s", "no command given");
	o->cmd = argv[1];
	o->mem_size = -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char **value = NULL;
		if (strcmp(a, "--section") == 0)
			value = &o->section;
		else if (strcmp(a, "--prog") == 0)
			value = &o->prog;
		else if (strcmp(a, "--input") == 0)
			value = &o->input_hex;
		else if (strcmp(a, "--input-file") == 0)
			value = &o->input_file;
		else if (strcmp(a, "--raw") == 0)
			value = &o->raw_path;
		else if (strcmp(a, "--type") == 0)
			value = &o->type;
		if (value) {
			if (i + 1 >= argc)
				return fail_usage("%s needs a value", a);
			*value = argv[++i];
			continue;
		}
		if (strcmp(a, "--repeat") == 0 || strcmp(a, "--mem-size") == 0) {
			char *end;
			if (i + 1 >= argc)
				return fail_usage("%s needs a number", a);
			long v = strtol(argv[++i], &end, 0);
			if (*end || v < 0 || (a[2] == 'r' && v == 0))
				return fail_usage("%s needs a positive number", a);
			if (a[2] == 'r')
				o->repeat = (unsigned long)v;
			else
				o->mem_size = v;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose = 1;
		} else if (strcmp(a, "--jit") == 0) {
			o->jit = 1;
		} else if (strcmp(a, "--interp") == 0) {
			o->jit = -1;
		} else if (strcmp(a, "--all") == 0) {
			o->all = 1;
		} else if (a[0] == '-') {
			return fail_usage("unknown option %s", a);
		} else if (!o->obj_path) {
			o->obj_path = a;
		} else if (!o->map_name && strcmp(o->cmd, "dump") == 0) {
			o->map_name = a;
		} else {
			return fail_usage("unexpected argument %s", a);
		}
	}
	if (o->obj_path && o->raw_path)
		return fail_usage("%s", "give either OBJ or --raw FILE, not both");
	if (!o->obj_path && !o->raw_path)
		return fail_usage("%s", "no object given: uroce-bpf COMMAND OBJ (or --raw FILE)");
	if (o->section && o->prog)
		return fail_usage("%s", "give --section or --prog, not both");
	if (o->input_hex && o->input_file)
		return fail_usage("%s", "give --input or --input-file, not both");
	if (o->type && !o->raw_path)
		return fail_usage("%s", "--type is for --raw FILE; an object's sections give its programs' types");
	return 0;
}

static int open_target(const struct options *o, struct target *t)
{
	if (o->obj_path) {
		if (uroce_bpf_object_open_file(o->obj_path, &t->obj) != UROCE_BPF_OK)
			return fail_bpf(o->obj_path);
		return 0;
	}
	t->raw_type = UROCE_BPF_PROG_RAW;
	if (o->type && parse_type(o->type, &t->raw_type) != 0)
		return fail_usage("--type %s: use raw, rx, qp_filter or trace", o->type);
	uint8_t *bytes = malloc(UROCE_BPF_MAX_INSNS * 8u);
	long n = bytes ? read_file(o->raw_path, bytes, UROCE_BPF_MAX_INSNS * 8u) : -1;
	if (n <= 0 || n % 8) {
		free(bytes);
		fprintf(stderr, "uroce-bpf: %s: cannot read it, or its size is not a non-zero multiple of 8 bytes "
				"(instruction slots)\n", o->raw_path);
		return 1;
	}
	t->n_raw = (size_t)n / 8;
	t->raw = calloc(t->n_raw, sizeof(*t->raw));
	for (size_t i = 0; t->raw && i < t->n_raw; i++) {
		const uint8_t *e = bytes + 8 * i;
		t->raw[i].opcode = e[0];
		t->raw[i].dst_reg = e[1] & 0xf;
		t->raw[i].src_reg = e[1] >> 4;
		t->raw[i].offset = (int16_t)(e[2] | e[3] << 8);
		t->raw[i].imm = (int32_t)((uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24);
	}
	free(bytes);
	if (!t->raw) {
		fprintf(stderr, "uroce-bpf: out of memory\n");
		return 1;
	}
	return 0;
}

static void close_target(struct target *t)
{
	uroce_bpf_object_close(t->obj);
	free(t->raw);
}

/* The object's programs the options select, or an error when none matches. */
static int select_progs(const struct options *o, const struct target *t, struct uroce_bpf_object_prog **out,
			size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < uroce_bpf_object_prog_count(t->obj); i++) {
		struct uroce_bpf_object_prog *p = uroce_bpf_object_prog_at(t->obj, i);
		if ((o->prog && strcmp(uroce_bpf_object_prog_name(p), o->prog) != 0) ||
		    (o->section && strcmp(uroce_bpf_object_prog_section(p), o->section) != 0))
			continue;
		out[(*n)++] = p;
	}
	if (*n)
		return 0;
	fprintf(stderr, "uroce-bpf: %s has no program %s %s; it has:\n", o->obj_path, o->prog ? "named" : "in section",
		o->prog ? o->prog : o->section);
	for (size_t i = 0; i < uroce_bpf_object_prog_count(t->obj); i++) {
		struct uroce_bpf_object_prog *p = uroce_bpf_object_prog_at(t->obj, i);
		fprintf(stderr, "  %s (section %s)\n", uroce_bpf_object_prog_name(p), uroce_bpf_object_prog_section(p));
	}
	return 1;
}

static void print_verdict(const char *name, const char *section, enum uroce_bpf_prog_type type, size_t n_insns,
			  enum uroce_bpf_err err)
{
	printf("%s (section %s, %s, %zu instructions): ", name, section, type_name(type), n_insns);
	if (err == UROCE_BPF_OK) {
		printf("verified\n");
		return;
	}
	const struct uroce_bpf_error *e = uroce_bpf_last_error();
	if (e->insn >= 0)
		printf("rejected at instruction %" PRId64 ": %s (%s)\n", e->insn, e->msg, uroce_bpf_errname(e->code));
	else
		printf("rejected: %s (%s)\n", e->msg, uroce_bpf_errname(e->code));
}

static int cmd_verify(const struct options *o, struct target *t)
{
	char *log = o->verbose ? calloc(1, LOG_SIZE) : NULL;
	const unsigned level = o->verbose ? 1 : 0;
	int status = 0;
	if (t->raw) {
		struct uroce_bpf_load_opts opts = {.type = t->raw_type, .mem_size = o->mem_size < 0 ? 0 : (size_t)o->mem_size,
						  .log = log, .log_size = log ? LOG_SIZE : 0, .log_level = level,
						  .name = o->raw_path};
		struct uroce_bpf_prog *prog = NULL;
		enum uroce_bpf_err err = uroce_bpf_prog_load(t->raw, t->n_raw, &opts, &prog);
		if (log && log[0])
			printf("%s\n", log);
		print_verdict(o->raw_path, "(raw file)", t->raw_type, t->n_raw, err);
		uroce_bpf_prog_free(prog);
		free(log);
		return err == UROCE_BPF_OK ? 0 : 1;
	}
	struct uroce_bpf_object_prog **progs = calloc(uroce_bpf_object_prog_count(t->obj), sizeof(*progs));
	size_t n = 0;
	if (!progs || select_progs(o, t, progs, &n) != 0) {
		free(progs);
		free(log);
		return 1;
	}
	const struct uroce_bpf_object_load_opts opts = {
		.mem_size = o->mem_size < 0 ? 0 : (size_t)o->mem_size,
		.log = log, .log_size = log ? LOG_SIZE : 0, .log_level = level,
	};
	for (size_t i = 0; i < n; i++) {
		size_t n_insns;
		uroce_bpf_object_prog_insns(progs[i], &n_insns);
		if (log)
			log[0] = '\0';
		enum uroce_bpf_err err = uroce_bpf_object_prog_load(progs[i], &opts);
		if (log && log[0])
			printf("%s\n", log);
		print_verdict(uroce_bpf_object_prog_name(progs[i]), uroce_bpf_object_prog_section(progs[i]),
			      uroce_bpf_object_prog_type(progs[i]), n_insns, err);
		if (err != UROCE_BPF_OK)
			status = 1;
	}
	free(progs);
	free(log);
	return status;
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static enum uroce_bpf_err run_once(const struct uroce_bpf_prog *prog, int jit, void *ctx, size_t len, uint64_t *r0)
{
	if (jit > 0)
		return uroce_bpf_run_jit(prog, ctx, len, r0);
	if (jit < 0)
		return uroce_bpf_run_interp(prog, ctx, len, r0);
	return uroce_bpf_run(prog, ctx, len, r0);
}

/* Loads the selected program (for its type, around the input), runs it. */
static int run_program(const struct options *o, struct target *t)
{
	uint8_t *input = malloc(INPUT_MAX);
	long len = 0;
	if (!input) {
		fprintf(stderr, "uroce-bpf: out of memory\n");
		return 1;
	}
	if (o->input_hex)
		len = hex_bytes_parse(o->input_hex, input, INPUT_MAX);
	else if (o->input_file)
		len = read_file(o->input_file, input, INPUT_MAX);
	if (len < 0) {
		free(input);
		return fail_usage(o->input_hex ? "--input %s: give hex bytes in pairs, e.g. \"04 00 ff ff\""
					       : "--input-file %s: cannot read it, or it is over 1 MiB",
				  o->input_hex ? o->input_hex : o->input_file);
	}

	struct uroce_bpf_prog *owned = NULL;
	const struct uroce_bpf_prog *prog = NULL;
	enum uroce_bpf_prog_type type;
	const char *name;
	enum uroce_bpf_err err;
	if (t->raw) {
		type = t->raw_type;
		name = o->raw_path;
		const struct uroce_bpf_load_opts opts = {.type = type, .mem_size = (size_t)len, .jit = o->jit > 0,
							 .name = name};
		err = uroce_bpf_prog_load(t->raw, t->n_raw, &opts, &owned);
		prog = owned;
	} else {
		struct uroce_bpf_object_prog *p = uroce_bpf_object_find_prog(t->obj, o->prog);
		if (!p) {
			struct uroce_bpf_object_prog *none[1];
			size_t n;
			free(input);
			select_progs(o, t, none, &n); /* says which programs there are */
			return 1;
		}
		type = uroce_bpf_object_prog_type(p);
		name = uroce_bpf_object_prog_name(p);
		const struct uroce_bpf_object_load_opts opts = {.jit = o->jit > 0, .mem_size = (size_t)len};
		err = uroce_bpf_object_prog_load(p, &opts);
		prog = uroce_bpf_object_prog_loaded(p);
	}
	if (err != UROCE_BPF_OK) {
		free(input);
		uroce_bpf_prog_free(owned);
		return fail_bpf(name);
	}

	struct uroce_bpf_rx_ctx rx = {0};
	struct uroce_bpf_trace_ctx trace = {0};
	void *ctx = input;
	size_t ctx_len = (size_t)len;
	if (type == UROCE_BPF_PROG_RX || type == UROCE_BPF_PROG_QP_FILTER) {
		rx.data = (uint64_t)(uintptr_t)input;
		rx.data_end = rx.data + (uint64_t)len;
		rx.ingress_port = 1;
		rx.opcode = len >= 1 ? input[0] : 0;
		rx.dest_qp = len >= 8 ? be24(input + 5) : 0;
		rx.psn = len >= 12 ? be24(input + 9) : 0;
		rx.pkt_len = (uint32_t)len;
		ctx = &rx;
		ctx_len = sizeof(rx);
	} else if (type == UROCE_BPF_PROG_TRACEPOINT) {
		memcpy(&trace, input, (size_t)len < sizeof(trace) ? (size_t)len : sizeof(trace));
		ctx = &trace;
		ctx_len = sizeof(trace);
	}

	uint64_t r0 = 0;
	const unsigned long runs = o->repeat ? o->repeat : 1;
	const double start = now_ns();
	for (unsigned long i = 0; i < runs; i++) {
		err = run_once(prog, o->jit, ctx, ctx_len, &r0);
		if (err != UROCE_BPF_OK)
			break;
	}
	const double elapsed = now_ns() - start;
	int status = 0;
	if (err != UROCE_BPF_OK) {
		status = fail_bpf(name);
	} else if (strcmp(o->cmd, "run") == 0) {
		printf("r0 = 0x%" PRIx64 "\n", r0);
		if (o->repeat)
			printf("%lu runs (%s): %.1f ns per run\n", runs,
			       o->jit > 0 ? "jit" : o->jit < 0 || !uroce_bpf_prog_jitted(prog) ? "interpreter" : "jit",
			       elapsed / (double)runs);
	}
	uroce_bpf_prog_free(owned);
	free(input);
	return status;
}

static int cmd_run(const struct options *o, struct target *t)
{
	if (!t->raw && !o->prog)
		return fail_usage("%s", "run needs --prog NAME (uroce-bpf verify OBJ lists the programs)");
	return run_program(o, t);
}

static int cmd_maps(const struct options *o, const struct target *t)
{
	(void)o;
	if (!t->obj)
		return fail_usage("%s", "maps needs an object, not --raw");
	size_t n = uroce_bpf_object_map_count(t->obj);
	printf("%-24s %-13s %8s %8s %12s\n", "name", "type", "key", "value", "max_entries");
	for (size_t i = 0; i < n; i++) {
		const struct uroce_bpf_map_attr *a = uroce_bpf_object_map_spec(t->obj, i);
		printf("%-24s %-13s %8u %8u %12u\n", uroce_bpf_object_map_name(t->obj, i), map_type_name(a->type),
		       a->key_size, a->value_size, a->max_entries);
	}
	if (n == 0)
		printf("(no maps)\n");
	return 0;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i ? " " : "", p[i]);
}

static int print_record(void *cb_ctx, const void *data, size_t size)
{
	size_t *count = cb_ctx;
	printf("record %zu (%zu bytes): ", (*count)++, size);
	print_hex(data, size);
	printf("\n");
	return 0;
}

static int dump_map(struct uroce_bpf_map *map, const char *name, int all)
{
	const struct uroce_bpf_map_attr *a = uroce_bpf_map_attr(map);
	if (a->type == UROCE_BPF_MAP_RINGBUF) {
		size_t count = 0;
		if (uroce_bpf_ringbuf_consume(map, print_record, &count, NULL) != UROCE_BPF_OK)
			return fail_bpf(name);
		if (count == 0)
			printf("(no records)\n");
		return 0;
	}
	const bool percpu = a->type == UROCE_BPF_MAP_PERCPU_ARRAY;
	const size_t slot = percpu ? (a->value_size + 7u) / 8u * 8u : a->value_size;
	const unsigned cpus = percpu ? uroce_bpf_num_possible_cpus() : 1;
	uint8_t *key = calloc(1, a->key_size + 1), *next = calloc(1, a->key_size + 1);
	uint8_t *value = calloc(cpus, slot + 1);
	if (!key || !next || !value) {
		free(key), free(next), free(value);
		fprintf(stderr, "uroce-bpf: out of memory\n");
		return 1;
	}
	size_t shown = 0, hidden = 0;
	enum uroce_bpf_err err = uroce_bpf_map_get_next_key(map, NULL, next);
	while (err == UROCE_BPF_OK) {
		memcpy(key, next, a->key_size);
		if (uroce_bpf_map_lookup(map, key, value) == UROCE_BPF_OK) {
			bool zero = true;
			for (size_t i = 0; i < cpus * slot; i++)
				zero &= value[i] == 0;
			/* Arrays have every key: their zero entries are noise unless asked for. */
			if (zero && !all && a->type != UROCE_BPF_MAP_HASH && a->type != UROCE_BPF_MAP_LRU_HASH) {
				hidden++;
			} else {
				printf("key: ");
				print_hex(key, a->key_size);
				for (unsigned c = 0; c < cpus; c++) {
					printf(percpu ? "  cpu %u: " : "  value: ", c);
					print_hex(value + c * slot, a->value_size);
				}
				printf("\n");
				shown++;
			}
		}
		err = uroce_bpf_map_get_next_key(map, key, next);
	}
	if (hidden)
		printf("(%zu all-zero entries not shown; --all shows them)\n", hidden);
	else if (shown == 0)
		printf("(empty)\n");
	free(key), free(next), free(value);
	return err == UROCE_BPF_ERR_NOENT ? 0 : fail_bpf(name);
}

static int cmd_dump(const struct options *o, struct target *t)
{
	if (!t->obj)
		return fail_usage("%s", "dump needs an object, not --raw");
	if (!o->map_name)
		return fail_usage("%s", "dump needs a map name: uroce-bpf dump OBJ MAP (uroce-bpf maps OBJ lists them)");
	if (uroce_bpf_object_map_index(t->obj, o->map_name) < 0)
		return fail_usage("no map %s in the object (uroce-bpf maps OBJ lists them)", o->map_name);
	if (o->prog) {
		int status = run_program(o, t);
		if (status)
			return status;
	} else if (uroce_bpf_object_create_maps(t->obj) != UROCE_BPF_OK) {
		return fail_bpf(o->map_name);
	}
	return dump_map(uroce_bpf_object_find_map(t->obj, o->map_name), o->map_name, o->all);
}

/* One instruction in the assembler syntax of the kernel's docs, roughly. */
static void print_insn(const struct uroce_bpf_insn *in, size_t i, size_t n, const struct target *t)
{
	static const char *const alu[16] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
					    "neg", "mod", "xor", "mov", "arsh", "end", "?", "?"};
	static const char *const jmp[16] = {"ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge",
					    "call", "exit", "jlt", "jle", "jslt", "jsle", "?", "?"};
	static const char *const size[4] = {"w", "h", "b", "dw"};
	const uint8_t op = in->opcode, cls = BPF_OP_CLASS(op);
	const bool reg = BPF_OP_SOURCE(op) == BPF_SRC_X;
	printf("%5zu: %02x %x %x %04x %08x  ", i, op, in->dst_reg, in->src_reg, (uint16_t)in->offset, (uint32_t)in->imm);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64: {
		const char *m = alu[BPF_OP_CODE(op) >> 4], *w = cls == BPF_ALU ? "32" : "";
		if (BPF_OP_CODE(op) == BPF_ALU_NEG)
			printf("neg%s r%u", w, in->dst_reg);
		else if (BPF_OP_CODE(op) == BPF_ALU_END)
			printf("%s%d r%u", cls == BPF_ALU64 ? "bswap" : reg ? "be" : "le", in->imm, in->dst_reg);
		else if (reg)
			printf("%s%s r%u, r%u", m, w, in->dst_reg, in->src_reg);
		else
			printf("%s%s r%u, %d", m, w, in->dst_reg, in->imm);
		break;
	}
	case BPF_JMP:
	case BPF_JMP32: {
		const char *m = jmp[BPF_OP_CODE(op) >> 4], *w = cls == BPF_JMP32 ? "32" : "";
		if (BPF_OP_CODE(op) == BPF_JMP_EXIT) {
			printf("exit");
		} else if (BPF_OP_CODE(op) == BPF_JMP_CALL && reg) {
			printf("callx r%u", in->dst_reg);
		} else if (BPF_OP_CODE(op) == BPF_JMP_CALL && in->src_reg == BPF_CALL_LOCAL) {
			printf("call %+d  ; function at %lld", in->imm, (long long)i + 1 + in->imm);
		} else if (BPF_OP_CODE(op) == BPF_JMP_CALL) {
			const struct bpf_helper_proto *h = bpf_std_helper((uint32_t)in->imm);
			printf("call %d", in->imm);
			if (h)
				printf("  ; bpf_%s", h->name);
		} else {
			const long long delta = cls == BPF_JMP32 && BPF_OP_CODE(op) == BPF_JMP_JA ? in->imm : in->offset;
			if (BPF_OP_CODE(op) == BPF_JMP_JA)
				printf("%s %+lld", cls == BPF_JMP32 ? "gotol" : "ja", delta);
			else if (reg)
				printf("%s%s r%u, r%u, %+lld", m, w, in->dst_reg, in->src_reg, delta);
			else
				printf("%s%s r%u, %d, %+lld", m, w, in->dst_reg, in->imm, delta);
			printf("  ; to %lld", (long long)i + 1 + delta);
		}
		break;
	}
	case BPF_LD:
		if (op == (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW) && i + 1 < n) {
			if (in->src_reg == 1) {
				const char *map = t->obj ? uroce_bpf_object_map_name(t->obj, (size_t)in->imm) : NULL;
				printf("lddw r%u, map %d  ; %s", in->dst_reg, in->imm, map ? map : "(no such map)");
			} else {
				printf("lddw r%u, 0x%" PRIx64, in->dst_reg,
				       (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
			}
		} else {
			printf("ld? (not supported)");
		}
		break;
	case BPF_LDX:
		printf("ldx%s%s r%u, [r%u%+d]", BPF_OP_MODE(op) == BPF_MODE_MEMSX ? "s" : "", size[BPF_OP_SIZE(op) >> 3],
		       in->dst_reg, in->src_reg, in->offset);
		break;
	case BPF_ST:
		printf("st%s [r%u%+d], %d", size[BPF_OP_SIZE(op) >> 3], in->dst_reg, in->offset, in->imm);
		break;
	default: /* STX */
		if (BPF_OP_MODE(op) == BPF_MODE_ATOMIC)
			printf("lock%s [r%u%+d] op 0x%x, r%u", size[BPF_OP_SIZE(op) >> 3], in->dst_reg, in->offset,
			       (unsigned)in->imm, in->src_reg);
		else
			printf("stx%s [r%u%+d], r%u", size[BPF_OP_SIZE(op) >> 3], in->dst_reg, in->offset, in->src_reg);
		break;
	}
	printf("\n");
}

static void disasm(const struct uroce_bpf_insn *insns, size_t n, const struct target *t)
{
	for (size_t i = 0; i < n; i++) {
		print_insn(&insns[i], i, n, t);
		if (insns[i].opcode == (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW))
			i++; /* the second slot is data */
	}
}

static int cmd_disasm(const struct options *o, struct target *t)
{
	if (t->raw) {
		printf("%s (%zu instructions):\n", o->raw_path, t->n_raw);
		disasm(t->raw, t->n_raw, t);
		return 0;
	}
	struct uroce_bpf_object_prog **progs = calloc(uroce_bpf_object_prog_count(t->obj), sizeof(*progs));
	size_t n = 0;
	if (!progs || select_progs(o, t, progs, &n) != 0) {
		free(progs);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t n_insns;
		const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(progs[i], &n_insns);
		printf("%s%s (section %s, %s, %zu instructions):\n", i ? "\n" : "", uroce_bpf_object_prog_name(progs[i]),
		       uroce_bpf_object_prog_section(progs[i]), type_name(uroce_bpf_object_prog_type(progs[i])), n_insns);
		disasm(insns, n_insns, t);
	}
	free(progs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	struct options o = {0};
	int status = parse_args(argc, argv, &o);
	if (status)
		return status;
	static const char *const commands[] = {"verify", "run", "maps", "dump", "disasm"};
	bool known = false;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= strcmp(o.cmd, commands[i]) == 0;
	if (!known)
		return fail_usage("unknown command %s: use verify, run, maps, dump or disasm", o.cmd);
	struct target t = {0};
	status = open_target(&o, &t);
	if (status)
		return status;
	if (strcmp(o.cmd, "verify") == 0)
		status = cmd_verify(&o, &t);
	else if (strcmp(o.cmd, "run") == 0)
		status = cmd_run(&o, &t);
	else if (strcmp(o.cmd, "maps") == 0)
		status = cmd_maps(&o, &t);
	else if (strcmp(o.cmd, "dump") == 0)
		status = cmd_dump(&o, &t);
	else
		status = cmd_disasm(&o, &t);
	close_target(&t);
	return status;
}
