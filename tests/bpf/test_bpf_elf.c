/* The ELF loader on the compiled examples (sections, program types, map
 * declarations from BTF, relocations of map references and bpf-to-bpf
 * calls) and on malformed objects: truncated, corrupted headers, wrong
 * machine, bad relocations, random byte flips. Every malformed object must
 * give UROCE_BPF_ERR_ELF (or a clean success) and never crash.
 *
 *   test_bpf_elf EXAMPLES_DIR   (the build directory of examples/bpf) */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/insn.h"
#include "check.h"
#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

#define OPCODE_LDDW (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW)
#define OPCODE_CALL (BPF_JMP | BPF_JMP_CALL)
#define OPCODE_EXIT (BPF_JMP | BPF_JMP_EXIT)

static const char *examples_dir;

struct file {
	uint8_t *data;
	size_t len;
};

static struct file load(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", examples_dir, name);
	struct file f = {0};
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(fp, 0, SEEK_END);
	f.len = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.data = malloc(f.len);
	if (!f.data || fread(f.data, 1, f.len, fp) != f.len) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(fp);
	return f;
}

static struct uroce_bpf_object *open_example(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", examples_dir, name);
	struct uroce_bpf_object *obj = NULL;
	enum uroce_bpf_err err = uroce_bpf_object_open_file(path, &obj);
	if (err != UROCE_BPF_OK)
		fprintf(stderr, "%s: %s\n", path, uroce_bpf_last_error()->msg);
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	return obj;
}

static void check_map(const struct uroce_bpf_object *obj, const char *name, enum uroce_bpf_map_type type,
		      uint32_t key_size, uint32_t value_size, uint32_t max_entries)
{
	long i = uroce_bpf_object_map_index(obj, name);
	CHECK(i >= 0);
	if (i < 0)
		return;
	const struct uroce_bpf_map_attr *a = uroce_bpf_object_map_spec(obj, (size_t)i);
	CHECK_EQ_U64(a->type, type);
	CHECK_EQ_U64(a->key_size, key_size);
	CHECK_EQ_U64(a->value_size, value_size);
	CHECK_EQ_U64(a->max_entries, max_entries);
	CHECK_EQ_U64(a->flags, 0);
	CHECK(strcmp(a->name, name) == 0);
	CHECK(strcmp(uroce_bpf_object_map_name(obj, (size_t)i), name) == 0);
	CHECK(uroce_bpf_object_map(obj, (size_t)i) == NULL); /* not created by open */
}

/* For every helper call whose first argument is a map: the lddw that last
 * set r1 before it names map `want` (by index) — i.e. the relocation wrote
 * src_reg 1 and the right index. Returns how many such calls it saw. */
static int check_map_args(const struct uroce_bpf_insn *insns, size_t n, int32_t helper, long want)
{
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (insns[i].opcode != OPCODE_CALL || insns[i].src_reg != 0 || insns[i].imm != helper)
			continue;
		for (size_t j = i; j-- > 0;) {
			if (insns[j].opcode == OPCODE_LDDW && insns[j].dst_reg == 1) {
				CHECK_EQ_U64(insns[j].src_reg, 1);
				CHECK_EQ_U64(insns[j].imm, want);
				CHECK_EQ_U64(insns[j + 1].imm, 0);
				seen++;
				break;
			}
		}
	}
	return seen;
}

/* Every lddw is relocated: no map reference was left as a 0 constant. */
static void check_all_lddw_relocated(const struct uroce_bpf_insn *insns, size_t n, size_t n_maps)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (insns[i].opcode == OPCODE_LDDW) {
			CHECK_EQ_U64(insns[i].src_reg, 1);
			CHECK((size_t)insns[i].imm < n_maps);
			i++;
		}
}

static void test_count_opcodes(void)
{
	struct uroce_bpf_object *obj = open_example("count_opcodes.bpf.o");
	if (!obj)
		return;
	CHECK_EQ_U64(uroce_bpf_object_prog_count(obj), 1);
	struct uroce_bpf_object_prog *p = uroce_bpf_object_find_prog(obj, "count_opcodes");
	CHECK(p != NULL);
	CHECK(p == uroce_bpf_object_find_prog_by_section(obj, "uroce/rx"));
	CHECK(p == uroce_bpf_object_prog_at(obj, 0));
	CHECK(uroce_bpf_object_find_prog(obj, "nope") == NULL);
	CHECK_EQ_U64(uroce_bpf_object_prog_type(p), UROCE_BPF_PROG_RX);
	CHECK(strcmp(uroce_bpf_object_prog_section(p), "uroce/rx") == 0);
	CHECK(uroce_bpf_object_prog_loaded(p) == NULL);
	CHECK_EQ_U64(uroce_bpf_object_map_count(obj), 1);
	check_map(obj, "opcode_counts", UROCE_BPF_MAP_ARRAY, 4, 8, 256);
	size_t n;
	const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(p, &n);
	CHECK(n > 4);
	CHECK_EQ_U64(insns[n - 1].opcode, OPCODE_EXIT);
	CHECK_EQ_U64(check_map_args(insns, n, 1, 0), 1);
	check_all_lddw_relocated(insns, n, 1);
	uroce_bpf_object_close(obj);
}

static void test_trace_retransmits(void)
{
	struct uroce_bpf_object *obj = open_example("trace_retransmits.bpf.o");
	if (!obj)
		return;
	CHECK_EQ_U64(uroce_bpf_object_prog_count(obj), 1);
	struct uroce_bpf_object_prog *p = uroce_bpf_object_find_prog_by_section(obj, "uroce/trace");
	CHECK(p != NULL);
	if (!p) {
		uroce_bpf_object_close(obj);
		return;
	}
	CHECK(strcmp(uroce_bpf_object_prog_name(p), "trace_retransmits") == 0);
	CHECK_EQ_U64(uroce_bpf_object_prog_type(p), UROCE_BPF_PROG_TRACEPOINT);
	CHECK_EQ_U64(uroce_bpf_object_map_count(obj), 2);
	check_map(obj, "retransmits", UROCE_BPF_MAP_RINGBUF, 0, 0, 1u << 16);
	check_map(obj, "event_counts", UROCE_BPF_MAP_ARRAY, 4, 8, 8);
	size_t n;
	const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(p, &n);
	/* map_lookup_elem(event_counts) and ringbuf_reserve(retransmits): each its own map. */
	CHECK_EQ_U64(check_map_args(insns, n, 1, uroce_bpf_object_map_index(obj, "event_counts")), 1);
	CHECK_EQ_U64(check_map_args(insns, n, 131, uroce_bpf_object_map_index(obj, "retransmits")), 1);
	check_all_lddw_relocated(insns, n, 2);
	uroce_bpf_object_close(obj);
}

/* drop_fraction calls two .text functions: count_stat (twice) and
 * should_drop; each must be appended once, and each call land on its start. */
static void test_drop_fraction(void)
{
	struct uroce_bpf_object *obj = open_example("drop_fraction.bpf.o");
	if (!obj)
		return;
	CHECK_EQ_U64(uroce_bpf_object_prog_count(obj), 1);
	struct uroce_bpf_object_prog *p = uroce_bpf_object_find_prog(obj, "drop_fraction");
	CHECK(p != NULL);
	if (!p) {
		uroce_bpf_object_close(obj);
		return;
	}
	CHECK_EQ_U64(uroce_bpf_object_prog_type(p), UROCE_BPF_PROG_RX);
	CHECK_EQ_U64(uroce_bpf_object_map_count(obj), 2);
	check_map(obj, "config", UROCE_BPF_MAP_ARRAY, 4, 12, 1);
	check_map(obj, "drop_stats", UROCE_BPF_MAP_ARRAY, 4, 8, 2);
	const long stats = uroce_bpf_object_map_index(obj, "drop_stats");
	size_t n;
	const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(p, &n);
	check_all_lddw_relocated(insns, n, 2);

	size_t first_exit = n, calls = 0, count_stat_at = 0, should_drop_at = 0;
	for (size_t i = 0; i < n && first_exit == n; i++)
		if (insns[i].opcode == OPCODE_EXIT)
			first_exit = i;
	/* The program itself looks up config (count_stat, appended, drop_stats). */
	CHECK_EQ_U64(check_map_args(insns, first_exit, 1, uroce_bpf_object_map_index(obj, "config")), 1);
	for (size_t i = 0; i < first_exit; i++) {
		if (insns[i].opcode != OPCODE_CALL || insns[i].src_reg != BPF_CALL_LOCAL)
			continue;
		calls++;
		const int64_t t = (int64_t)i + 1 + insns[i].imm;
		CHECK(t > (int64_t)first_exit && t < (int64_t)n); /* in an appended function */
		if (t <= (int64_t)first_exit || t >= (int64_t)n)
			continue;
		CHECK_EQ_U64(insns[t - 1].opcode, OPCODE_EXIT); /* the start of a function */
		/* should_drop calls bpf_get_prandom_u32 (7) at once; count_stat looks up drop_stats. */
		bool is_should_drop = t + 1 < (int64_t)n && insns[t + 1].opcode == OPCODE_CALL && insns[t + 1].imm == 7;
		if (is_should_drop) {
			CHECK(should_drop_at == 0 || should_drop_at == (size_t)t);
			should_drop_at = (size_t)t;
		} else {
			CHECK(count_stat_at == 0 || count_stat_at == (size_t)t);
			count_stat_at = (size_t)t;
			bool found = false;
			for (size_t j = (size_t)t; j < n && insns[j].opcode != OPCODE_EXIT; j++)
				if (insns[j].opcode == OPCODE_LDDW) {
					CHECK_EQ_U64(insns[j].src_reg, 1);
					CHECK_EQ_U64(insns[j].imm, stats);
					found = true;
					break;
				}
			CHECK(found);
		}
	}
	CHECK_EQ_U64(calls, 3);
	CHECK(count_stat_at != 0);
	CHECK(should_drop_at != 0);
	CHECK(count_stat_at != should_drop_at);
	uroce_bpf_object_close(obj);
}

static void test_parse_headers(void)
{
	struct uroce_bpf_object *obj = open_example("parse_headers.bpf.o");
	if (!obj)
		return;
	struct uroce_bpf_object_prog *p = uroce_bpf_object_find_prog(obj, "parse_headers");
	CHECK(p != NULL);
	check_map(obj, "parse_stats", UROCE_BPF_MAP_ARRAY, 4, 8, 5);
	if (p) {
		size_t n;
		const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(p, &n);
		check_all_lddw_relocated(insns, n, 1);
		/* add_stat, called from many places, is appended once: every call has the same target. */
		int64_t target = -1;
		size_t calls = 0;
		for (size_t i = 0; i < n; i++)
			if (insns[i].opcode == OPCODE_CALL && insns[i].src_reg == BPF_CALL_LOCAL) {
				int64_t t = (int64_t)i + 1 + insns[i].imm;
				CHECK(t >= 0 && t < (int64_t)n);
				if (target < 0)
					target = t;
				CHECK_EQ_U64(t, target);
				calls++;
			}
		CHECK(calls >= 3);
	}
	uroce_bpf_object_close(obj);
}

/* ---- a minimal ELF reader, to corrupt chosen fields of the examples ---- */
static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put(uint8_t *p, unsigned bytes, uint64_t v)
{
	for (unsigned i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint8_t *shdr(const struct file *f, unsigned i)
{
	return f->data + get(f->data + 40, 8) + 64u * i;
}

/* Index of the section named so, or 0. */
static unsigned find_section(const struct file *f, const char *name)
{
	unsigned n = (unsigned)get(f->data + 60, 2), strndx = (unsigned)get(f->data + 62, 2);
	const char *strs = (const char *)f->data + get(shdr(f, strndx) + 24, 8);
	for (unsigned i = 1; i < n; i++)
		if (strcmp(strs + get(shdr(f, i), 4), name) == 0)
			return i;
	return 0;
}

/* Index of the symbol named so, or 0. */
static unsigned find_symbol(const struct file *f, const char *name)
{
	unsigned symtab = find_section(f, ".symtab");
	const uint8_t *sh = shdr(f, symtab);
	const uint8_t *syms = f->data + get(sh + 24, 8);
	const char *strs = (const char *)f->data + get(shdr(f, (unsigned)get(sh + 40, 4)) + 24, 8);
	for (unsigned i = 1; i < get(sh + 32, 8) / 24; i++)
		if (strcmp(strs + get(syms + 24 * i, 4), name) == 0)
			return i;
	return 0;
}

static enum uroce_bpf_err open_bytes(const uint8_t *data, size_t len)
{
	struct uroce_bpf_object *obj = NULL;
	enum uroce_bpf_err err = uroce_bpf_object_open_mem(data, len, "test", &obj);
	CHECK((err == UROCE_BPF_OK) == (obj != NULL));
	uroce_bpf_object_close(obj);
	return err;
}

static bool last_error_mentions(const char *text)
{
	bool found = strstr(uroce_bpf_last_error()->msg, text) != NULL;
	if (!found)
		fprintf(stderr, "error \"%s\" does not mention \"%s\"\n", uroce_bpf_last_error()->msg, text);
	return found;
}

/* Opens a corrupted copy of f; expects UROCE_BPF_ERR_ELF with `text` in the message. */
#define EXPECT_CORRUPT(f, text, ...)                                                   \
	do {                                                                           \
		struct file c_ = {malloc((f)->len), (f)->len};                         \
		memcpy(c_.data, (f)->data, (f)->len);                                  \
		struct file *c = &c_;                                                  \
		__VA_ARGS__;                                                           \
		CHECK_EQ_U64(open_bytes(c->data, c->len), UROCE_BPF_ERR_ELF);          \
		CHECK(last_error_mentions(text));                                      \
		free(c_.data);                                                         \
	} while (0)

static void test_malformed(void)
{
	struct file f = load("drop_fraction.bpf.o");
	CHECK_EQ_U64(open_bytes(f.data, f.len), UROCE_BPF_OK);

	/* Truncated at every length: the section headers are at the end, so all fail. */
	size_t elf_errors = 0;
	for (size_t len = 0; len < f.len; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exactly len bytes: ASan catches any overread */
		memcpy(copy, f.data, len);
		elf_errors += open_bytes(copy, len) == UROCE_BPF_ERR_ELF;
		free(copy);
	}
	CHECK_EQ_U64(elf_errors, f.len);
	CHECK_EQ_U64(open_bytes(NULL, 0), UROCE_BPF_ERR_ELF);

	EXPECT_CORRUPT(&f, "machine", put(c->data + 18, 2, 62 /* x86-64 */));
	EXPECT_CORRUPT(&f, "64-bit little-endian", c->data[4] = 1 /* ELFCLASS32 */);
	EXPECT_CORRUPT(&f, "64-bit little-endian", c->data[5] = 2 /* big-endian */);
	EXPECT_CORRUPT(&f, "not an ELF", c->data[1] = 'X');
	EXPECT_CORRUPT(&f, "relocatable", put(c->data + 16, 2, 2 /* ET_EXEC */));
	EXPECT_CORRUPT(&f, "section header table", put(c->data + 40, 8, UINT64_MAX - 8));
	EXPECT_CORRUPT(&f, "section headers", put(c->data + 60, 2, 0xfff0));
	EXPECT_CORRUPT(&f, "name table", put(c->data + 62, 2, 0));
	/* A code section whose offset or size points past the file. */
	const unsigned rx = find_section(&f, "uroce/rx");
	CHECK(rx != 0);
	EXPECT_CORRUPT(&f, "past the end", put(shdr(c, rx) + 24, 8, f.len - 8));
	EXPECT_CORRUPT(&f, "past the end", put(shdr(c, rx) + 32, 8, UINT64_MAX));
	EXPECT_CORRUPT(&f, "multiple of 8", put(shdr(c, rx) + 32, 8, get(shdr(c, rx) + 32, 8) - 4));
	EXPECT_CORRUPT(&f, "outside the section name table", put(shdr(c, rx), 4, 0x7fffffff));
	/* A section name that is no hook: the message names it and the valid ones. */
	EXPECT_CORRUPT(&f, "uroce/xx", {
		unsigned strndx = (unsigned)get(c->data + 62, 2);
		char *name = (char *)c->data + get(shdr(c, strndx) + 24, 8) + get(shdr(c, rx), 4);
		memcpy(name, "uroce/xx", 8);
	});
	EXPECT_CORRUPT(&f, "uroce/qp_filter", {
		unsigned strndx = (unsigned)get(c->data + 62, 2);
		char *name = (char *)c->data + get(shdr(c, strndx) + 24, 8) + get(shdr(c, rx), 4);
		memcpy(name, "socket", 7);
	});

	/* Relocations: a symbol index past the table, a misaligned offset, a
	 * reference to a non-map data object, an unknown type. */
	const unsigned rel = find_section(&f, ".reluroce/rx");
	CHECK(rel != 0);
	const uint64_t rel_off = get(shdr(&f, rel) + 24, 8);
	EXPECT_CORRUPT(&f, "names symbol", put(c->data + rel_off + 8 + 4, 4, 99999));
	EXPECT_CORRUPT(&f, "instruction boundary", put(c->data + rel_off, 8, get(c->data + rel_off, 8) + 3));
	const unsigned license = find_symbol(&f, "LICENSE");
	CHECK(license != 0);
	EXPECT_CORRUPT(&f, "global variables are not supported", put(c->data + rel_off + 8 + 4, 4, license));
	EXPECT_CORRUPT(&f, "relocation type", put(c->data + rel_off + 8, 4, 7));
	/* The 64-bit relocation moved onto a non-lddw instruction. */
	EXPECT_CORRUPT(&f, "lddw", put(c->data + rel_off, 8, 0));
	/* A call relocation pointing past .text. */
	EXPECT_CORRUPT(&f, "outside its code", {
		for (uint64_t off = rel_off; off < rel_off + get(shdr(c, rel) + 32, 8); off += 16)
			if (get(c->data + off + 8, 4) == 10) {
				uint64_t code = get(shdr(c, rx) + 24, 8) + get(c->data + off, 8);
				put(c->data + code + 4, 4, 5000);
				break;
			}
	});
	/* The BTF describing the maps: gone, or its magic broken. */
	const unsigned btf = find_section(&f, ".BTF");
	CHECK(btf != 0);
	EXPECT_CORRUPT(&f, "no .BTF", {
		unsigned strndx = (unsigned)get(c->data + 62, 2);
		char *name = (char *)c->data + get(shdr(c, strndx) + 24, 8) + get(shdr(c, btf), 4);
		name[1] = 'X';
	});
	EXPECT_CORRUPT(&f, "magic", c->data[get(shdr(c, btf) + 24, 8)] ^= 0xff);
	EXPECT_CORRUPT(&f, "symbol table", {
		unsigned symtab = find_section(c, ".symtab");
		put(shdr(c, symtab) + 4, 4, 1 /* PROGBITS */);
	});

	/* Random corruption: any result but a crash (ASan and UBSan watch). */
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t *copy = malloc(f.len);
	size_t opened = 0;
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, f.data, f.len);
		int flips = 1 + round % 8;
		for (int k = 0; k < flips; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			copy[(seed >> 33) % f.len] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}
		enum uroce_bpf_err err = open_bytes(copy, f.len);
		CHECK(err == UROCE_BPF_OK || err == UROCE_BPF_ERR_ELF);
		opened += err == UROCE_BPF_OK;
	}
	printf("random corruption: %zu of 3000 still opened (debug info flips are harmless)\n", opened);
	free(copy);
	free(f.data);
}

static void test_open_file_errors(void)
{
	struct uroce_bpf_object *obj = (struct uroce_bpf_object *)1;
	CHECK_EQ_U64(uroce_bpf_object_open_file("/nonexistent/x.bpf.o", &obj), UROCE_BPF_ERR_INVALID_ARG);
	CHECK(obj == NULL);
	CHECK(last_error_mentions("/nonexistent/x.bpf.o"));
	CHECK_EQ_U64(uroce_bpf_object_open_mem("", 0, NULL, NULL), UROCE_BPF_ERR_INVALID_ARG);
}

/* Offset of the symbol's value in its section. */
static uint64_t symbol_value(const struct file *f, const char *name)
{
	const uint8_t *syms = f->data + get(shdr(f, find_section(f, ".symtab")) + 24, 8);
	return get(syms + 24u * find_symbol(f, name) + 8, 8);
}

/* A legacy "maps" section is not in the examples: built here by renaming
 * .maps of count_opcodes and giving its symbol a struct bpf_map_def. */
static void test_legacy_maps(void)
{
	struct file f = load("count_opcodes.bpf.o");
	unsigned maps = find_section(&f, ".maps");
	CHECK(maps != 0);
	unsigned strndx = (unsigned)get(f.data + 62, 2);
	char *name = (char *)f.data + get(shdr(&f, strndx) + 24, 8) + get(shdr(&f, maps), 4);
	memmove(name, name + 1, strlen(name)); /* ".maps" -> "maps" */
	uint8_t *def = f.data + get(shdr(&f, maps) + 24, 8) + symbol_value(&f, "opcode_counts");
	CHECK(get(shdr(&f, maps) + 32, 8) >= 20);
	put(def, 4, UROCE_BPF_MAP_HASH);
	put(def + 4, 4, 4);
	put(def + 8, 4, 16);
	put(def + 12, 4, 64);
	put(def + 16, 4, 0);
	struct uroce_bpf_object *obj = NULL;
	CHECK_EQ_U64(uroce_bpf_object_open_mem(f.data, f.len, "legacy", &obj), UROCE_BPF_OK);
	if (obj) {
		check_map(obj, "opcode_counts", UROCE_BPF_MAP_HASH, 4, 16, 64);
		size_t n;
		const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(uroce_bpf_object_prog_at(obj, 0), &n);
		CHECK_EQ_U64(check_map_args(insns, n, 1, 0), 1);
		CHECK(strcmp(uroce_bpf_object_name(obj), "legacy") == 0);
	}
	uroce_bpf_object_close(obj);
	free(f.data);
}

/* ---- loading and running (the verifier, maps and helpers) ---- */
static struct uroce_bpf_object *load_example(const char *name)
{
	struct uroce_bpf_object *obj = open_example(name);
	if (!obj)
		return NULL;
	enum uroce_bpf_err err = uroce_bpf_object_load(obj, NULL);
	if (err != UROCE_BPF_OK)
		fprintf(stderr, "%s: %s\n", name, uroce_bpf_last_error()->msg);
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	if (err != UROCE_BPF_OK) {
		uroce_bpf_object_close(obj);
		return NULL;
	}
	return obj;
}

/* Runs an rx program on a 12-byte BTH of the given opcode; returns r0. */
static uint64_t run_rx(const struct uroce_bpf_prog *prog, uint8_t opcode)
{
	uint8_t bth[12] = {opcode, 0, 0xff, 0xff, 0, 0, 0, 0x11, 0, 0, 0, 0x01};
	struct uroce_bpf_rx_ctx ctx = {.data = (uint64_t)(uintptr_t)bth, .data_end = (uint64_t)(uintptr_t)(bth + 12),
				       .ingress_port = 1, .opcode = opcode, .dest_qp = 0x11, .psn = 1, .pkt_len = 12};
	uint64_t r0 = 0xdead;
	CHECK_EQ_U64(uroce_bpf_run(prog, &ctx, sizeof(ctx), &r0), UROCE_BPF_OK);
	return r0;
}

static uint64_t lookup_u64(struct uroce_bpf_map *map, uint32_t key)
{
	uint64_t value = 0xdeadbeef;
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, &value), UROCE_BPF_OK);
	return value;
}

static void test_run_count_opcodes(void)
{
	struct uroce_bpf_object *obj = load_example("count_opcodes.bpf.o");
	if (!obj)
		return;
	struct uroce_bpf_prog *prog = uroce_bpf_object_prog_loaded(uroce_bpf_object_find_prog(obj, "count_opcodes"));
	CHECK(prog != NULL && uroce_bpf_prog_verified(prog));
	CHECK_EQ_U64(uroce_bpf_prog_type(prog), UROCE_BPF_PROG_RX);
	static const uint8_t opcodes[] = {0x04, 0x04, 0x0a, 0x11, 0x04, 0x81};
	for (size_t i = 0; i < sizeof(opcodes); i++)
		CHECK_EQ_U64(run_rx(prog, opcodes[i]), UROCE_BPF_PASS);
	struct uroce_bpf_map *counts = uroce_bpf_object_find_map(obj, "opcode_counts");
	CHECK(counts != NULL);
	CHECK_EQ_U64(lookup_u64(counts, 0x04), 3);
	CHECK_EQ_U64(lookup_u64(counts, 0x0a), 1);
	CHECK_EQ_U64(lookup_u64(counts, 0x11), 1);
	CHECK_EQ_U64(lookup_u64(counts, 0x81), 1);
	CHECK_EQ_U64(lookup_u64(counts, 0x05), 0);
	/* The map outlives the object with a reference of its own. */
	struct uroce_bpf_map *kept = uroce_bpf_map_get(counts);
	uroce_bpf_object_close(obj);
	CHECK_EQ_U64(lookup_u64(kept, 0x04), 3);
	uroce_bpf_map_put(kept);
}

static void set_drop_config(struct uroce_bpf_map *config, uint32_t per_mille, uint32_t match, uint32_t opcode)
{
	const uint32_t key = 0, value[3] = {per_mille, match, opcode};
	CHECK_EQ_U64(uroce_bpf_map_update(config, &key, value, UROCE_BPF_ANY), UROCE_BPF_OK);
}

static void test_run_drop_fraction(void)
{
	struct uroce_bpf_object *obj = load_example("drop_fraction.bpf.o");
	if (!obj)
		return;
	struct uroce_bpf_prog *prog = uroce_bpf_object_prog_loaded(uroce_bpf_object_prog_at(obj, 0));
	struct uroce_bpf_map *config = uroce_bpf_object_find_map(obj, "config");
	struct uroce_bpf_map *stats = uroce_bpf_object_find_map(obj, "drop_stats");
	CHECK(prog && config && stats);
	if (!prog || !config || !stats) {
		uroce_bpf_object_close(obj);
		return;
	}
	int passed = 0;
	for (int i = 0; i < 50; i++) /* no configuration yet: 0 per mille */
		passed += run_rx(prog, 0x04) == UROCE_BPF_PASS;
	CHECK_EQ_U64(passed, 50);
	set_drop_config(config, 1000, 0, 0);
	int dropped = 0;
	for (int i = 0; i < 50; i++)
		dropped += run_rx(prog, (uint8_t)i) == UROCE_BPF_DROP;
	CHECK_EQ_U64(dropped, 50);
	CHECK_EQ_U64(lookup_u64(stats, 0), 50); /* candidates seen */
	CHECK_EQ_U64(lookup_u64(stats, 1), 50); /* dropped */
	/* Only opcode 0x0a is a candidate: the others pass. */
	set_drop_config(config, 1000, 1, 0x0a);
	CHECK_EQ_U64(run_rx(prog, 0x0a), UROCE_BPF_DROP);
	CHECK_EQ_U64(run_rx(prog, 0x04), UROCE_BPF_PASS);
	CHECK_EQ_U64(lookup_u64(stats, 1), 51);
	/* Half: of 2000 packets, roughly 1000 drop (the bounds are 10 standard deviations apart). */
	set_drop_config(config, 500, 0, 0);
	dropped = 0;
	for (int i = 0; i < 2000; i++)
		dropped += run_rx(prog, 0x04) == UROCE_BPF_DROP;
	CHECK(dropped > 780 && dropped < 1220);
	uroce_bpf_object_close(obj);
}

struct records {
	int n;
	uint32_t fields[4];
	uint64_t time_ns;
};

static int take_record(void *cb_ctx, const void *data, size_t size)
{
	struct records *r = cb_ctx;
	CHECK_EQ_U64(size, 24);
	if (size == 24) {
		memcpy(r->fields, data, 16);
		memcpy(&r->time_ns, (const uint8_t *)data + 16, 8);
	}
	r->n++;
	return 0;
}

static void test_run_trace_retransmits(void)
{
	struct uroce_bpf_object *obj = load_example("trace_retransmits.bpf.o");
	if (!obj)
		return;
	struct uroce_bpf_prog *prog = uroce_bpf_object_prog_loaded(uroce_bpf_object_prog_at(obj, 0));
	struct uroce_bpf_trace_ctx ctx = {.event = UROCE_TRACE_NAK_SENT, .qpn = 0x11, .psn = 7};
	uint64_t r0 = 1;
	CHECK_EQ_U64(uroce_bpf_run(prog, &ctx, sizeof(ctx), &r0), UROCE_BPF_OK);
	CHECK_EQ_U64(r0, 0);
	ctx = (struct uroce_bpf_trace_ctx){.event = UROCE_TRACE_RETRANSMIT, .qpn = 0x123, .psn = 0x456, .arg0 = 3,
					   .arg1 = 2, .time_ns = 987654321};
	CHECK_EQ_U64(uroce_bpf_run(prog, &ctx, sizeof(ctx), &r0), UROCE_BPF_OK);
	struct records rec = {0};
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(uroce_bpf_object_find_map(obj, "retransmits"), take_record, &rec, NULL),
		     UROCE_BPF_OK);
	CHECK_EQ_U64(rec.n, 1);
	CHECK_EQ_U64(rec.fields[0], 0x123);
	CHECK_EQ_U64(rec.fields[1], 0x456);
	CHECK_EQ_U64(rec.fields[2], 3);
	CHECK_EQ_U64(rec.fields[3], 2);
	CHECK_EQ_U64(rec.time_ns, 987654321);
	struct uroce_bpf_map *counts = uroce_bpf_object_find_map(obj, "event_counts");
	CHECK_EQ_U64(lookup_u64(counts, UROCE_TRACE_RETRANSMIT), 1);
	CHECK_EQ_U64(lookup_u64(counts, UROCE_TRACE_NAK_SENT), 1);
	CHECK_EQ_U64(lookup_u64(counts, UROCE_TRACE_RNR), 0);
	uroce_bpf_object_close(obj);
}

/* A map shared between objects: reused before load, it is the same map. */
static void test_reuse_map(void)
{
	struct uroce_bpf_object *a = load_example("count_opcodes.bpf.o");
	struct uroce_bpf_object *b = open_example("count_opcodes.bpf.o");
	if (!a || !b) {
		uroce_bpf_object_close(a);
		uroce_bpf_object_close(b);
		return;
	}
	struct uroce_bpf_map *shared = uroce_bpf_object_find_map(a, "opcode_counts");
	CHECK_EQ_U64(uroce_bpf_object_reuse_map(b, "nope", shared), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(uroce_bpf_object_reuse_map(b, "opcode_counts", shared), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_bpf_object_load(b, NULL), UROCE_BPF_OK);
	CHECK(uroce_bpf_object_find_map(b, "opcode_counts") == shared);
	run_rx(uroce_bpf_object_prog_loaded(uroce_bpf_object_prog_at(a, 0)), 0x06);
	run_rx(uroce_bpf_object_prog_loaded(uroce_bpf_object_prog_at(b, 0)), 0x06);
	CHECK_EQ_U64(lookup_u64(shared, 0x06), 2);
	CHECK_EQ_U64(uroce_bpf_object_reuse_map(b, "opcode_counts", shared), UROCE_BPF_ERR_EXIST);
	uroce_bpf_object_close(a);
	uroce_bpf_object_close(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR (the build directory of examples/bpf)\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	test_count_opcodes();
	test_trace_retransmits();
	test_drop_fraction();
	test_parse_headers();
	test_malformed();
	test_open_file_errors();
	test_legacy_maps();
	test_run_count_opcodes();
	test_run_drop_fraction();
	test_run_trace_retransmits();
	test_reuse_map();
	return check_exit_code("test_bpf_elf");
}
