/* The ELF loader: a relocatable object from clang -target bpf becomes
 * programs (instructions relocated: maps by index, .text functions appended)
 * and map declarations. The file is untrusted: every offset, size, index and
 * string is checked before it is used, and fields are read byte by byte
 * (little-endian, any alignment). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/btf.h"
#include "bpf/ctx_desc.h"
#include "bpf/insn.h"
#include "bpf/object.h"
#include "bpf/prog.h"

/* ELF constants (the System V ABI and its BPF supplement). */
enum {
	ELF_EHDR_SIZE = 64,
	ELF_SHDR_SIZE = 64,
	ELF_SYM_SIZE = 24,
	ELF_REL_SIZE = 16,
	ELF_CLASS64 = 2,
	ELF_DATA_LSB = 1,
	ELF_ET_REL = 1,
	ELF_EM_BPF = 247,
	ELF_SHT_PROGBITS = 1,
	ELF_SHT_SYMTAB = 2,
	ELF_SHT_STRTAB = 3,
	ELF_SHT_RELA = 4,
	ELF_SHT_NOBITS = 8,
	ELF_SHT_REL = 9,
	ELF_SHF_ALLOC = 0x2,
	ELF_SHF_EXECINSTR = 0x4,
	ELF_SHN_UNDEF = 0,
	ELF_SHN_LORESERVE = 0xff00,
	ELF_SHN_XINDEX = 0xffff,
	ELF_STT_FUNC = 2,
	ELF_STT_SECTION = 3,
	R_BPF_NONE = 0,
	R_BPF_64_64 = 1,  /* lddw: the symbol's address */
	R_BPF_64_32 = 10, /* call: the symbol's instruction */
};

#define BPF_INSN_SIZE 8u
#define OPCODE_LDDW (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW)
#define OPCODE_CALL (BPF_JMP | BPF_JMP_CALL)
#define LEGACY_MAP_DEF_SIZE 20u /* struct bpf_map_def: type, key_size, value_size, max_entries, map_flags */

struct elf_sec {
	const char *name;
	uint32_t type;
	uint64_t flags;
	const uint8_t *data; /* NULL for SHT_NOBITS */
	uint64_t size;
	uint32_t link, info;
	uint64_t entsize;
	uint32_t rel;        /* code sections: index of the SHT_REL section for it, 0 if none */
};

struct elf_sym {
	const char *name;
	uint8_t type;
	uint16_t shndx;
	uint64_t value, size;
	long map;            /* index of the map it declares, or -1 */
};

struct elf_reader {
	const uint8_t *buf;
	size_t len;
	struct elf_sec *secs;
	uint32_t n_secs;
	struct elf_sym *syms;
	uint32_t n_syms;
	uint32_t symtab;
	uint32_t text;        /* .text, 0 if none */
	uint32_t maps;        /* .maps, 0 if none */
	uint32_t legacy_maps; /* maps, 0 if none */
	uint32_t btf;         /* .BTF, 0 if none */
	struct uroce_bpf_object *obj;
};

/* One function copied into a program: slots [start, start + count) of
 * section sec, at out in the program. */
struct piece {
	uint32_t sec;
	uint64_t start, count;
	uint64_t out;
};

struct prog_builder {
	struct uroce_bpf_insn *insns;
	size_t n, cap;
	struct piece *pieces;
	size_t n_pieces, cap_pieces;
	const char *prog_name;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static enum uroce_bpf_err elf_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static enum uroce_bpf_err elf_fail(const char *fmt, ...)
{
	char msg[sizeof(((struct uroce_bpf_error *)0)->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bpf_error(UROCE_BPF_ERR_ELF, -1, NULL, "%s", msg);
}

static enum uroce_bpf_err no_memory(void)
{
	return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory to load the object");
}

/* [off, off + size) lies inside a buffer of len bytes. */
static bool in_bounds(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* The NUL-terminated string at off in a string table section, or NULL. */
static const char *elf_str(const struct elf_reader *r, uint32_t sec, uint64_t off)
{
	if (sec == 0 || sec >= r->n_secs)
		return NULL;
	const struct elf_sec *s = &r->secs[sec];
	if (s->type != ELF_SHT_STRTAB || !s->data || off >= s->size)
		return NULL;
	return memchr(s->data + off, '\0', s->size - off) ? (const char *)s->data + off : NULL;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

static enum uroce_bpf_err read_header_and_sections(struct elf_reader *r)
{
	const uint8_t *h = r->buf;
	if (r->len < ELF_EHDR_SIZE)
		return elf_fail("%zu bytes: too short for an ELF header (64 bytes); is this an object file?", r->len);
	if (memcmp(h, "\177ELF", 4) != 0)
		return elf_fail("not an ELF file (no \\177ELF magic); give the .o that clang -target bpf -c writes");
	if (h[4] != ELF_CLASS64 || h[5] != ELF_DATA_LSB)
		return elf_fail("not a 64-bit little-endian ELF file; compile with clang -target bpf (or bpfel)");
	if (rd16(h + 18) != ELF_EM_BPF)
		return elf_fail("ELF machine %u is not BPF (247); compile with clang -target bpf", rd16(h + 18));
	if (rd16(h + 16) != ELF_ET_REL)
		return elf_fail("ELF type %u is not a relocatable object (1); give the .o from clang -c", rd16(h + 16));
	uint64_t shoff = rd64(h + 40);
	uint32_t shnum = rd16(h + 60), shstrndx = rd16(h + 62);
	if (rd16(h + 58) != ELF_SHDR_SIZE)
		return elf_fail("section headers of %u bytes, not 64", rd16(h + 58));
	if (shoff == 0 || !in_bounds(shoff, ELF_SHDR_SIZE, r->len))
		return elf_fail("the section header table (offset %llu) is outside the file (%zu bytes); "
				"the file may be truncated", (unsigned long long)shoff, r->len);
	/* Many sections: the count and the string table index live in section 0. */
	if (shnum == 0)
		shnum = rd64(h + shoff + 32) > UINT32_MAX ? 0 : (uint32_t)rd64(h + shoff + 32);
	if (shstrndx == ELF_SHN_XINDEX)
		shstrndx = rd32(h + shoff + 40);
	if (shnum == 0 || !in_bounds(shoff, (uint64_t)shnum * ELF_SHDR_SIZE, r->len))
		return elf_fail("%u section headers at offset %llu do not fit in the file (%zu bytes); "
				"the file may be truncated", shnum, (unsigned long long)shoff, r->len);
	r->secs = calloc(shnum, sizeof(*r->secs));
	if (!r->secs)
		return no_memory();
	r->n_secs = shnum;
	for (uint32_t i = 0; i < shnum; i++) {
		const uint8_t *sh = h + shoff + (uint64_t)i * ELF_SHDR_SIZE;
		struct elf_sec *s = &r->secs[i];
		s->type = rd32(sh + 4);
		s->flags = rd64(sh + 8);
		uint64_t off = rd64(sh + 24);
		s->size = rd64(sh + 32);
		s->link = rd32(sh + 40);
		s->info = rd32(sh + 44);
		s->entsize = rd64(sh + 56);
		if (i == 0 || s->type == ELF_SHT_NOBITS)
			continue;
		if (!in_bounds(off, s->size, r->len))
			return elf_fail("section %u (%llu bytes at offset %llu) runs past the end of the file (%zu bytes); "
					"the file may be truncated", i, (unsigned long long)s->size,
					(unsigned long long)off, r->len);
		s->data = h + off;
	}
	if (shstrndx == 0 || shstrndx >= shnum || r->secs[shstrndx].type != ELF_SHT_STRTAB)
		return elf_fail("the section name table (index %u) is missing or not a string table", shstrndx);
	for (uint32_t i = 0; i < shnum; i++) {
		const uint8_t *sh = h + shoff + (uint64_t)i * ELF_SHDR_SIZE;
		r->secs[i].name = i == 0 ? "" : elf_str(r, shstrndx, rd32(sh));
		if (!r->secs[i].name)
			return elf_fail("section %u has a name outside the section name table", i);
	}
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err read_symbols(struct elf_reader *r)
{
	for (uint32_t i = 1; i < r->n_secs; i++) {
		if (r->secs[i].type != ELF_SHT_SYMTAB)
			continue;
		if (r->symtab)
			return elf_fail("two symbol tables (sections %u and %u); one is expected", r->symtab, i);
		r->symtab = i;
	}
	if (!r->symtab)
		return elf_fail("no symbol table; the programs and maps cannot be found (was the object stripped?)");
	const struct elf_sec *st = &r->secs[r->symtab];
	if (st->entsize != ELF_SYM_SIZE || st->size % ELF_SYM_SIZE != 0 || !st->data)
		return elf_fail("the symbol table has entries of %llu bytes and a size of %llu; 24-byte entries are expected",
				(unsigned long long)st->entsize, (unsigned long long)st->size);
	r->n_syms = (uint32_t)(st->size / ELF_SYM_SIZE);
	r->syms = calloc(r->n_syms ? r->n_syms : 1, sizeof(*r->syms));
	if (!r->syms)
		return no_memory();
	for (uint32_t i = 0; i < r->n_syms; i++) {
		const uint8_t *e = st->data + (uint64_t)i * ELF_SYM_SIZE;
		struct elf_sym *s = &r->syms[i];
		uint32_t name = rd32(e);
		s->name = name ? elf_str(r, st->link, name) : "";
		if (!s->name)
			return elf_fail("symbol %u has a name outside the string table", i);
		s->type = e[4] & 0xf;
		s->shndx = rd16(e + 6);
		s->value = rd64(e + 8);
		s->size = rd64(e + 16);
		s->map = -1;
		if (s->shndx >= r->n_secs && s->shndx < ELF_SHN_LORESERVE)
			return elf_fail("symbol %s is in section %u, but there are %u sections", s->name, s->shndx, r->n_secs);
	}
	return UROCE_BPF_OK;
}

static bool is_code(const struct elf_sec *s)
{
	return s->type == ELF_SHT_PROGBITS && (s->flags & ELF_SHF_EXECINSTR);
}

/* Finds .text, the map sections, .BTF, and which relocation section applies to which code section. */
static enum uroce_bpf_err classify_sections(struct elf_reader *r)
{
	for (uint32_t i = 1; i < r->n_secs; i++) {
		struct elf_sec *s = &r->secs[i];
		if (is_code(s) && s->size % BPF_INSN_SIZE != 0)
			return elf_fail("code section %s is %llu bytes, not a multiple of 8", s->name,
					(unsigned long long)s->size);
		if (is_code(s) && strcmp(s->name, ".text") == 0)
			r->text = i;
		else if (strcmp(s->name, ".maps") == 0)
			r->maps = i;
		else if (strcmp(s->name, "maps") == 0)
			r->legacy_maps = i;
		else if (strcmp(s->name, ".BTF") == 0)
			r->btf = i;
	}
	for (uint32_t i = 1; i < r->n_secs; i++) {
		struct elf_sec *s = &r->secs[i];
		if (s->type != ELF_SHT_REL && s->type != ELF_SHT_RELA)
			continue;
		if (s->info == 0 || s->info >= r->n_secs || !is_code(&r->secs[s->info]))
			continue; /* debug information and BTF: not needed to run */
		struct elf_sec *target = &r->secs[s->info];
		if (s->type == ELF_SHT_RELA)
			return elf_fail("section %s has RELA relocations; clang -target bpf writes REL (is this another "
					"compiler's object?)", target->name);
		if (s->link != r->symtab || s->entsize != ELF_REL_SIZE || s->size % ELF_REL_SIZE != 0 || !s->data)
			return elf_fail("relocation section %s is malformed (symbol table %u, entries of %llu bytes)",
					s->name, s->link, (unsigned long long)s->entsize);
		if (target->rel)
			return elf_fail("code section %s has two relocation sections", target->name);
		target->rel = i;
	}
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err add_map(struct elf_reader *r, struct elf_sym *sym, const struct uroce_bpf_map_attr *attr)
{
	struct uroce_bpf_object *obj = r->obj;
	for (size_t i = 0; i < obj->n_maps; i++)
		if (strcmp(obj->map_specs[i].name, sym->name) == 0)
			return elf_fail("two maps are named %s", sym->name);
	struct bpf_object_map *grown = realloc(obj->map_specs, (obj->n_maps + 1) * sizeof(*grown));
	if (!grown)
		return no_memory();
	obj->map_specs = grown;
	struct bpf_object_map *m = &obj->map_specs[obj->n_maps];
	m->attr = *attr;
	snprintf(m->attr.name, sizeof(m->attr.name), "%s", sym->name);
	m->name = dup_str(sym->name);
	if (!m->name)
		return no_memory();
	sym->map = (long)obj->n_maps++;
	return UROCE_BPF_OK;
}

/* A symbol that declares a map: a named data object in the map section. */
static bool is_map_symbol(const struct elf_sym *s, uint32_t sec)
{
	return sec && s->shndx == sec && s->type != ELF_STT_SECTION && s->name[0] != '\0';
}

static enum uroce_bpf_err read_btf_maps(struct elf_reader *r)
{
	bool any = false;
	for (uint32_t i = 0; i < r->n_syms; i++)
		any |= is_map_symbol(&r->syms[i], r->maps);
	if (!any)
		return UROCE_BPF_OK;
	if (!r->btf || !r->secs[r->btf].data)
		return elf_fail("maps are declared in .maps but the object has no .BTF section; compile with -g");
	struct bpf_btf *btf;
	enum uroce_bpf_err err = bpf_btf_parse(r->secs[r->btf].data, r->secs[r->btf].size, &btf);
	for (uint32_t i = 0; i < r->n_syms && err == UROCE_BPF_OK; i++) {
		struct elf_sym *s = &r->syms[i];
		if (!is_map_symbol(s, r->maps))
			continue;
		uint32_t var = bpf_btf_datasec_var(btf, ".maps", s->name);
		if (!var) {
			err = elf_fail("map %s has no BTF description in .maps; compile with -g", s->name);
			break;
		}
		struct uroce_bpf_map_attr attr = {0};
		err = bpf_btf_map_def(btf, var, s->name, &attr);
		if (err == UROCE_BPF_OK)
			err = add_map(r, s, &attr);
	}
	bpf_btf_free(btf);
	return err;
}

static enum uroce_bpf_err read_legacy_maps(struct elf_reader *r)
{
	const struct elf_sec *sec = &r->secs[r->legacy_maps];
	for (uint32_t i = 0; i < r->n_syms; i++) {
		struct elf_sym *s = &r->syms[i];
		if (!is_map_symbol(s, r->legacy_maps))
			continue;
		if (!sec->data || !in_bounds(s->value, LEGACY_MAP_DEF_SIZE, sec->size))
			return elf_fail("map %s: its struct bpf_map_def (20 bytes at offset %llu) is outside the maps "
					"section (%llu bytes)", s->name, (unsigned long long)s->value,
					(unsigned long long)sec->size);
		const uint8_t *d = sec->data + s->value;
		struct uroce_bpf_map_attr attr = {
			.type = (enum uroce_bpf_map_type)rd32(d),
			.key_size = rd32(d + 4),
			.value_size = rd32(d + 8),
			.max_entries = rd32(d + 12),
			.flags = rd32(d + 16),
		};
		enum uroce_bpf_err err = add_map(r, s, &attr);
		if (err != UROCE_BPF_OK)
			return err;
	}
	return UROCE_BPF_OK;
}

/* A function symbol's range in its section, checked. */
static enum uroce_bpf_err function_range(const struct elf_reader *r, const struct elf_sym *fn, uint64_t *start,
					 uint64_t *count)
{
	const struct elf_sec *sec = &r->secs[fn->shndx];
	if (fn->value % BPF_INSN_SIZE || fn->size % BPF_INSN_SIZE || fn->size == 0 ||
	    !in_bounds(fn->value, fn->size, sec->size))
		return elf_fail("function %s (%llu bytes at offset %llu) is misaligned or outside section %s (%llu bytes)",
				fn->name, (unsigned long long)fn->size, (unsigned long long)fn->value, sec->name,
				(unsigned long long)sec->size);
	*start = fn->value / BPF_INSN_SIZE;
	*count = fn->size / BPF_INSN_SIZE;
	return UROCE_BPF_OK;
}

/* Appends slots [start, start + count) of section sec to the program. */
static enum uroce_bpf_err add_piece(const struct elf_reader *r, struct prog_builder *b, uint32_t sec,
				    uint64_t start, uint64_t count)
{
	if (count > UROCE_BPF_MAX_INSNS - b->n)
		return elf_fail("program %s with the functions it calls exceeds %u instructions", b->prog_name,
				UROCE_BPF_MAX_INSNS);
	if (b->n + count > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + count)
			cap *= 2;
		struct uroce_bpf_insn *grown = realloc(b->insns, cap * sizeof(*grown));
		if (!grown)
			return no_memory();
		b->insns = grown;
		b->cap = cap;
	}
	if (b->n_pieces == b->cap_pieces) {
		size_t cap = b->cap_pieces ? 2 * b->cap_pieces : 8;
		struct piece *grown = realloc(b->pieces, cap * sizeof(*grown));
		if (!grown)
			return no_memory();
		b->pieces = grown;
		b->cap_pieces = cap;
	}
	const uint8_t *code = r->secs[sec].data + start * BPF_INSN_SIZE;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *e = code + i * BPF_INSN_SIZE;
		struct uroce_bpf_insn *insn = &b->insns[b->n + i];
		insn->opcode = e[0];
		insn->dst_reg = e[1] & 0xf;
		insn->src_reg = e[1] >> 4;
		insn->offset = (int16_t)rd16(e + 2);
		insn->imm = (int32_t)rd32(e + 4);
	}
	b->pieces[b->n_pieces++] = (struct piece){.sec = sec, .start = start, .count = count, .out = b->n};
	b->n += count;
	return UROCE_BPF_OK;
}

/* Points the call at out slot pos to slot target_idx of section target_sec,
 * appending the function holding that slot if the program lacks it. */
static enum uroce_bpf_err resolve_call(const struct elf_reader *r, struct prog_builder *b, size_t pos,
				       uint32_t target_sec, int64_t target_idx)
{
	const struct elf_sec *sec = &r->secs[target_sec];
	if (!is_code(sec) || target_idx < 0 || (uint64_t)target_idx >= sec->size / BPF_INSN_SIZE)
		return elf_fail("program %s: the call at instruction %zu goes to slot %lld of section %s, outside its code",
				b->prog_name, pos, (long long)target_idx, sec->name);
	const uint64_t idx = (uint64_t)target_idx;
	const struct piece *found = NULL;
	for (size_t p = 0; p < b->n_pieces && !found; p++)
		if (b->pieces[p].sec == target_sec && idx >= b->pieces[p].start &&
		    idx - b->pieces[p].start < b->pieces[p].count)
			found = &b->pieces[p];
	if (!found) {
		const struct elf_sym *fn = NULL;
		for (uint32_t i = 0; i < r->n_syms && !fn; i++) {
			const struct elf_sym *s = &r->syms[i];
			if (s->type == ELF_STT_FUNC && s->shndx == target_sec && s->size &&
			    s->value / BPF_INSN_SIZE <= idx && idx < (s->value + s->size) / BPF_INSN_SIZE)
				fn = s;
		}
		if (!fn)
			return elf_fail("program %s: the call at instruction %zu goes to slot %llu of %s, which is in no "
					"function", b->prog_name, pos, (unsigned long long)idx, sec->name);
		uint64_t start = 0, count = 0;
		enum uroce_bpf_err err = function_range(r, fn, &start, &count);
		if (err == UROCE_BPF_OK)
			err = add_piece(r, b, target_sec, start, count);
		if (err != UROCE_BPF_OK)
			return err;
		found = &b->pieces[b->n_pieces - 1];
	}
	/* Both are below UROCE_BPF_MAX_INSNS, so the difference fits an int32. */
	int64_t delta = (int64_t)(found->out + (idx - found->start)) - (int64_t)(pos + 1);
	b->insns[pos].imm = (int32_t)delta;
	return UROCE_BPF_OK;
}

/* What a symbol an lddw refers to is, for the error message. */
static enum uroce_bpf_err bad_lddw_symbol(const struct elf_reader *r, const struct prog_builder *b, size_t pos,
					  const struct elf_sym *s)
{
	if (s->shndx == ELF_SHN_UNDEF)
		return elf_fail("program %s, instruction %zu: refers to extern symbol %s; externs are not supported",
				b->prog_name, pos, s->name);
	if (s->shndx >= r->n_secs)
		return elf_fail("program %s, instruction %zu: refers to symbol %s of a special section %#x",
				b->prog_name, pos, s->name, s->shndx);
	const struct elf_sec *sec = &r->secs[s->shndx];
	if (is_code(sec))
		return elf_fail("program %s, instruction %zu: takes the address of function %s; function pointers "
				"are not supported", b->prog_name, pos, s->name);
	return elf_fail("program %s, instruction %zu: refers to %s in %s: global variables are not supported; "
			"use a map", b->prog_name, pos, s->name[0] ? s->name : sec->name, sec->name);
}

static enum uroce_bpf_err apply_relocation(const struct elf_reader *r, struct prog_builder *b,
					   const struct piece *pc, uint64_t r_offset, uint64_t r_info, bool *relocated)
{
	const uint32_t sym_idx = (uint32_t)(r_info >> 32), type = (uint32_t)r_info;
	const char *sec_name = r->secs[pc->sec].name;
	if (r_offset % BPF_INSN_SIZE)
		return elf_fail("a relocation in %s at offset %llu is not on an instruction boundary", sec_name,
				(unsigned long long)r_offset);
	const uint64_t idx = r_offset / BPF_INSN_SIZE;
	if (idx < pc->start || idx - pc->start >= pc->count)
		return UROCE_BPF_OK; /* another function's */
	if (type == R_BPF_NONE)
		return UROCE_BPF_OK;
	if (sym_idx == 0 || sym_idx >= r->n_syms)
		return elf_fail("a relocation in %s at offset %llu names symbol %u; the symbol table has %u",
				sec_name, (unsigned long long)r_offset, sym_idx, r->n_syms);
	const struct elf_sym *s = &r->syms[sym_idx];
	const size_t pos = pc->out + (idx - pc->start);
	struct uroce_bpf_insn *insn = &b->insns[pos];
	relocated[idx - pc->start] = true;
	if (type == R_BPF_64_64) {
		if (insn->opcode != OPCODE_LDDW || idx - pc->start + 1 >= pc->count)
			return elf_fail("program %s, instruction %zu: a 64-bit relocation on something other than a "
					"complete lddw", b->prog_name, pos);
		if (s->map < 0)
			return bad_lddw_symbol(r, b, pos, s);
		if (insn->imm != 0 || insn[1].imm != 0)
			return elf_fail("program %s, instruction %zu: refers to map %s at an offset; take the map's "
					"address itself", b->prog_name, pos, s->name);
		insn->src_reg = BPF_LDDW_MAP_FD;
		insn->imm = (int32_t)s->map;
		return UROCE_BPF_OK;
	}
	if (type == R_BPF_64_32) {
		if (insn->opcode != OPCODE_CALL || insn->src_reg != BPF_CALL_LOCAL)
			return elf_fail("program %s, instruction %zu: a call relocation on something other than a "
					"bpf-to-bpf call", b->prog_name, pos);
		if (s->shndx == ELF_SHN_UNDEF || s->shndx >= r->n_secs)
			return elf_fail("program %s, instruction %zu: calls %s, which is not defined in this object "
					"(extern functions are not supported)", b->prog_name, pos, s->name);
		if (s->value % BPF_INSN_SIZE)
			return elf_fail("program %s, instruction %zu: calls %s, at an offset not a multiple of 8",
					b->prog_name, pos, s->name);
		/* libbpf's rule: the callee is the symbol's slot + imm + 1. */
		return resolve_call(r, b, pos, s->shndx, (int64_t)(s->value / BPF_INSN_SIZE) + insn->imm + 1);
	}
	return elf_fail("program %s, instruction %zu: relocation type %u is not supported (only R_BPF_64_64 "
			"for maps and R_BPF_64_32 for calls)", b->prog_name, pos, type);
}

/* Relocates piece p of the program: its relocations, then its calls
 * without one (to a function of the same section). */
static enum uroce_bpf_err relocate_piece(const struct elf_reader *r, struct prog_builder *b, size_t p)
{
	const struct piece pc = b->pieces[p]; /* a copy: resolving calls may grow b->pieces */
	bool *relocated = calloc(pc.count, sizeof(*relocated));
	if (!relocated)
		return no_memory();
	enum uroce_bpf_err err = UROCE_BPF_OK;
	const struct elf_sec *sec = &r->secs[pc.sec];
	if (sec->rel) {
		const struct elf_sec *rel = &r->secs[sec->rel];
		for (uint64_t off = 0; off < rel->size && err == UROCE_BPF_OK; off += ELF_REL_SIZE)
			err = apply_relocation(r, b, &pc, rd64(rel->data + off), rd64(rel->data + off + 8), relocated);
	}
	for (uint64_t i = 0; i < pc.count && err == UROCE_BPF_OK; i++) {
		const size_t pos = pc.out + i;
		const struct uroce_bpf_insn insn = b->insns[pos];
		if (insn.opcode == OPCODE_LDDW) {
			i++; /* its second slot is data */
			continue;
		}
		if (relocated[i] || insn.opcode != OPCODE_CALL || insn.src_reg != BPF_CALL_LOCAL)
			continue;
		err = resolve_call(r, b, pos, pc.sec, (int64_t)(pc.start + i) + insn.imm + 1);
	}
	free(relocated);
	return err;
}

static enum uroce_bpf_err add_program(struct elf_reader *r, uint32_t sec_idx, const struct elf_sym *fn,
				      enum uroce_bpf_prog_type type)
{
	struct uroce_bpf_object *obj = r->obj;
	struct prog_builder b = {.prog_name = fn->name};
	uint64_t start = 0, count = 0;
	enum uroce_bpf_err err = function_range(r, fn, &start, &count);
	if (err == UROCE_BPF_OK)
		err = add_piece(r, &b, sec_idx, start, count);
	/* Pieces appended while relocating are relocated in turn: each function once. */
	for (size_t p = 0; p < b.n_pieces && err == UROCE_BPF_OK; p++)
		err = relocate_piece(r, &b, p);
	free(b.pieces);
	if (err != UROCE_BPF_OK) {
		free(b.insns);
		return err;
	}
	struct uroce_bpf_object_prog *grown = realloc(obj->progs, (obj->n_progs + 1) * sizeof(*grown));
	if (!grown) {
		free(b.insns);
		return no_memory();
	}
	obj->progs = grown;
	struct uroce_bpf_object_prog *prog = &obj->progs[obj->n_progs++];
	*prog = (struct uroce_bpf_object_prog){.obj = obj, .type = type, .insns = b.insns, .n_insns = b.n};
	prog->name = dup_str(fn->name[0] ? fn->name : r->secs[sec_idx].name);
	prog->section = dup_str(r->secs[sec_idx].name);
	if (!prog->name || !prog->section)
		return no_memory();
	return UROCE_BPF_OK;
}

/* Orders function symbol indices by offset (insertion sort: few functions per section). */
static void sort_by_value(const struct elf_reader *r, uint32_t *fns, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t f = fns[i], j = i;
		for (; j > 0 && r->syms[fns[j - 1]].value > r->syms[f].value; j--)
			fns[j] = fns[j - 1];
		fns[j] = f;
	}
}

static enum uroce_bpf_err read_programs(struct elf_reader *r)
{
	uint32_t *fns = malloc((r->n_syms ? r->n_syms : 1) * sizeof(*fns));
	if (!fns)
		return no_memory();
	enum uroce_bpf_err err = UROCE_BPF_OK;
	for (uint32_t i = 1; i < r->n_secs && err == UROCE_BPF_OK; i++) {
		const struct elf_sec *sec = &r->secs[i];
		if (!is_code(sec) || i == r->text || sec->size == 0)
			continue;
		int type = bpf_prog_type_for_section(sec->name);
		if (type < 0) {
			err = elf_fail("section \"%s\" names no uroce hook; use SEC(\"uroce/rx\"), \"uroce/qp_filter\", "
				       "\"uroce/trace\", \"raw\" or \"uroce/raw\"", sec->name);
			break;
		}
		uint32_t n = 0;
		for (uint32_t s = 0; s < r->n_syms; s++)
			if (r->syms[s].type == ELF_STT_FUNC && r->syms[s].shndx == i)
				fns[n++] = s;
		if (n == 0) {
			err = elf_fail("section %s holds code but no function symbol names it", sec->name);
			break;
		}
		sort_by_value(r, fns, n);
		for (uint32_t k = 0; k < n && err == UROCE_BPF_OK; k++)
			err = add_program(r, i, &r->syms[fns[k]], (enum uroce_bpf_prog_type)type);
	}
	free(fns);
	if (err == UROCE_BPF_OK && r->obj->n_progs == 0)
		err = elf_fail("the object has no programs: no code section but .text; put each program in "
			       "SEC(\"uroce/rx\") or another hook's section");
	return err;
}

enum uroce_bpf_err bpf_elf_parse(struct uroce_bpf_object *obj, const uint8_t *buf, size_t len)
{
	struct elf_reader r = {.buf = buf, .len = len, .obj = obj};
	enum uroce_bpf_err err = read_header_and_sections(&r);
	if (err == UROCE_BPF_OK)
		err = read_symbols(&r);
	if (err == UROCE_BPF_OK)
		err = classify_sections(&r);
	if (err == UROCE_BPF_OK && r.maps)
		err = read_btf_maps(&r);
	if (err == UROCE_BPF_OK && r.legacy_maps)
		err = read_legacy_maps(&r);
	if (err == UROCE_BPF_OK)
		err = read_programs(&r);
	free(r.secs);
	free(r.syms);
	return err;
}
