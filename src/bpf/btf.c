/* BTF, read-only, as much as BTF-defined maps need. Layout (the kernel's
 * include/uapi/linux/btf.h): a header, then type records each made of a
 * 12-byte btf_type (name offset, info = kind | vlen | kind_flag, size or
 * type) and kind-specific data, then a string table. Type ids start at 1;
 * id 0 is void. Every offset read is checked against the section. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/btf.h"
#include "bpf/prog.h"

#define BTF_MAGIC 0xeb9f
#define BTF_HEADER_MIN 24u
#define BTF_TYPE_LEN 12u
#define BTF_MAX_DEPTH 32 /* modifier / typedef / array chains longer than this are refused (loops) */

enum btf_kind {
	BTF_KIND_UNKN = 0, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION,
	BTF_KIND_ENUM, BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST,
	BTF_KIND_RESTRICT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR, BTF_KIND_DATASEC,
	BTF_KIND_FLOAT, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64, BTF_KIND_MAX
};

struct bpf_btf {
	const uint8_t *types;   /* the type section */
	uint32_t types_len;
	const char *strs;       /* the string table, NUL-terminated at its end */
	uint32_t strs_len;
	uint32_t *offsets;      /* offsets[id] = record of type id (1..n_types) in types */
	uint32_t n_types;
};

/* One type record, decoded. */
struct btf_type {
	uint32_t name_off;
	uint32_t kind;
	uint32_t vlen;
	uint32_t size_or_type;
	const uint8_t *extra; /* kind-specific data after the 12 bytes */
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define BTF_FAIL(...) bpf_error(UROCE_BPF_ERR_ELF, -1, NULL, __VA_ARGS__)

/* Bytes of kind-specific data after a record's 12 bytes; -1 for an unknown kind. */
static int64_t btf_extra_len(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12 * (int64_t)vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8 * (int64_t)vlen;
	default:
		return -1;
	}
}

enum uroce_bpf_err bpf_btf_parse(const void *data, size_t len, struct bpf_btf **out)
{
	const uint8_t *p = data;
	*out = NULL;
	if (!p || len < BTF_HEADER_MIN)
		return BTF_FAIL("the .BTF section is %zu bytes, shorter than its header", len);
	if ((p[0] | p[1] << 8) != BTF_MAGIC)
		return BTF_FAIL("the .BTF section does not start with the magic 0xeb9f (little-endian)");
	if (p[2] != 1)
		return BTF_FAIL("BTF version %u is not supported (only 1)", p[2]);
	uint32_t hdr_len = rd32(p + 4), type_off = rd32(p + 8), type_len = rd32(p + 12);
	uint32_t str_off = rd32(p + 16), str_len = rd32(p + 20);
	if (hdr_len < BTF_HEADER_MIN || hdr_len > len ||
	    (uint64_t)type_off + type_len > len - hdr_len || (uint64_t)str_off + str_len > len - hdr_len)
		return BTF_FAIL("the .BTF header puts its types or strings outside the section");
	if (str_len == 0 || p[hdr_len + str_off + str_len - 1] != '\0')
		return BTF_FAIL("the BTF string table is empty or not NUL-terminated");

	struct bpf_btf *btf = calloc(1, sizeof(*btf));
	if (!btf)
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for BTF");
	btf->types = p + hdr_len + type_off;
	btf->types_len = type_len;
	btf->strs = (const char *)p + hdr_len + str_off;
	btf->strs_len = str_len;
	/* At most one type per 12 bytes: size the index once. */
	btf->offsets = calloc((size_t)type_len / BTF_TYPE_LEN + 2, sizeof(*btf->offsets));
	if (!btf->offsets) {
		bpf_btf_free(btf);
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for BTF");
	}
	uint32_t off = 0;
	enum uroce_bpf_err err = UROCE_BPF_OK;
	while (off < type_len && err == UROCE_BPF_OK) {
		if (type_len - off < BTF_TYPE_LEN) {
			err = BTF_FAIL("BTF type %u is cut short by the end of the type section", btf->n_types + 1);
			break;
		}
		uint32_t info = rd32(btf->types + off + 4);
		int64_t extra = btf_extra_len(info >> 24 & 0x1f, info & 0xffff);
		if (extra < 0 || (uint64_t)extra > type_len - off - BTF_TYPE_LEN) {
			err = BTF_FAIL("BTF type %u has an unknown kind %u or overruns the type section", btf->n_types + 1,
				       info >> 24 & 0x1f);
			break;
		}
		btf->offsets[++btf->n_types] = off;
		off += BTF_TYPE_LEN + (uint32_t)extra;
	}
	if (err != UROCE_BPF_OK) {
		bpf_btf_free(btf);
		return err;
	}
	*out = btf;
	return UROCE_BPF_OK;
}

void bpf_btf_free(struct bpf_btf *btf)
{
	if (!btf)
		return;
	free(btf->offsets);
	free(btf);
}

static bool btf_type_at(const struct bpf_btf *btf, uint32_t id, struct btf_type *t)
{
	if (id == 0 || id > btf->n_types)
		return false;
	const uint8_t *rec = btf->types + btf->offsets[id];
	uint32_t info = rd32(rec + 4);
	t->name_off = rd32(rec);
	t->kind = info >> 24 & 0x1f;
	t->vlen = info & 0xffff;
	t->size_or_type = rd32(rec + 8);
	t->extra = rec + BTF_TYPE_LEN;
	return true;
}

/* The string at off, or "" when off is outside the table (never NULL). */
static const char *btf_str(const struct bpf_btf *btf, uint32_t off)
{
	return off < btf->strs_len ? btf->strs + off : "";
}

/* Follows typedefs and modifiers to the type they name; false at a loop or a bad id. */
static bool btf_skip_modifiers(const struct bpf_btf *btf, uint32_t id, struct btf_type *t)
{
	for (int depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		if (!btf_type_at(btf, id, t))
			return false;
		switch (t->kind) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->size_or_type;
			break;
		default:
			return true;
		}
	}
	return false;
}

/* The size in bytes of type id; false for types with no size (void,
 * functions, forward declarations), loops and overflows. */
static bool btf_type_size(const struct bpf_btf *btf, uint32_t id, uint64_t *size)
{
	uint64_t factor = 1;
	for (int depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		struct btf_type t;
		if (!btf_skip_modifiers(btf, id, &t))
			return false;
		switch (t.kind) {
		case BTF_KIND_INT:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FLOAT:
		case BTF_KIND_DATASEC:
			*size = factor * t.size_or_type;
			return true;
		case BTF_KIND_PTR:
			*size = factor * 8;
			return true;
		case BTF_KIND_ARRAY: {
			uint32_t nelems = rd32(t.extra + 8);
			if (nelems && factor > UINT32_MAX / nelems)
				return false; /* past any map's key or value size */
			factor *= nelems;
			id = rd32(t.extra); /* element type */
			break;
		}
		default:
			return false;
		}
	}
	return false;
}

uint32_t bpf_btf_datasec_var(const struct bpf_btf *btf, const char *datasec, const char *var)
{
	for (uint32_t id = 1; id <= btf->n_types; id++) {
		struct btf_type sec;
		if (!btf_type_at(btf, id, &sec))
			continue;
		if (sec.kind != BTF_KIND_DATASEC || strcmp(btf_str(btf, sec.name_off), datasec) != 0)
			continue;
		for (uint32_t i = 0; i < sec.vlen; i++) {
			uint32_t var_id = rd32(sec.extra + 12 * i);
			struct btf_type v;
			if (btf_type_at(btf, var_id, &v) && v.kind == BTF_KIND_VAR &&
			    strcmp(btf_str(btf, v.name_off), var) == 0)
				return var_id;
		}
	}
	return 0;
}

/* __uint(name, N): a pointer to an array of N elements. */
static bool btf_uint_member(const struct bpf_btf *btf, uint32_t type_id, uint32_t *value)
{
	struct btf_type ptr, arr;
	if (!btf_skip_modifiers(btf, type_id, &ptr) || ptr.kind != BTF_KIND_PTR)
		return false;
	if (!btf_skip_modifiers(btf, ptr.size_or_type, &arr) || arr.kind != BTF_KIND_ARRAY)
		return false;
	*value = rd32(arr.extra + 8);
	return true;
}

/* __type(name, T): a pointer to T; gives sizeof(T). */
static bool btf_type_member(const struct bpf_btf *btf, uint32_t type_id, uint32_t *size)
{
	struct btf_type ptr;
	uint64_t bytes;
	if (!btf_skip_modifiers(btf, type_id, &ptr) || ptr.kind != BTF_KIND_PTR ||
	    !btf_type_size(btf, ptr.size_or_type, &bytes) || bytes > UINT32_MAX)
		return false;
	*size = (uint32_t)bytes;
	return true;
}

/* A size given twice (key and key_size) must agree. */
static enum uroce_bpf_err set_size(uint32_t *field, bool *seen, uint32_t value, const char *map_name,
				   const char *what)
{
	if (*seen && *field != value)
		return BTF_FAIL("map %s: its %s is given twice, as %u and %u bytes", map_name, what, *field, value);
	*field = value;
	*seen = true;
	return UROCE_BPF_OK;
}

enum uroce_bpf_err bpf_btf_map_def(const struct bpf_btf *btf, uint32_t var_id, const char *map_name,
				   struct uroce_bpf_map_attr *attr)
{
	struct btf_type var, def;
	if (!btf_type_at(btf, var_id, &var) || var.kind != BTF_KIND_VAR ||
	    !btf_skip_modifiers(btf, var.size_or_type, &def) || def.kind != BTF_KIND_STRUCT)
		return BTF_FAIL("map %s: its BTF type is not a struct; declare it with __uint and __type "
				"from bpf/bpf_helpers.h", map_name);
	bool key_seen = false, value_seen = false, type_seen = false;
	for (uint32_t i = 0; i < def.vlen; i++) {
		const uint8_t *m = def.extra + 12 * i;
		const char *name = btf_str(btf, rd32(m));
		uint32_t type_id = rd32(m + 4), v = 0;
		enum uroce_bpf_err err = UROCE_BPF_OK;
		bool ok;
		if (strcmp(name, "key") == 0 || strcmp(name, "value") == 0) {
			ok = btf_type_member(btf, type_id, &v);
			if (ok)
				err = name[0] == 'k' ? set_size(&attr->key_size, &key_seen, v, map_name, "key size")
						     : set_size(&attr->value_size, &value_seen, v, map_name, "value size");
		} else {
			ok = btf_uint_member(btf, type_id, &v);
			bool hint = strcmp(name, "pinning") == 0 || strcmp(name, "numa_node") == 0 ||
				    strcmp(name, "map_extra") == 0; /* placement: the caller pins maps itself */
			if (!ok || hint) {
				/* a bad encoding is reported below; hints are ignored */
			} else if (strcmp(name, "type") == 0) {
				attr->type = (enum uroce_bpf_map_type)v;
				type_seen = true;
			} else if (strcmp(name, "max_entries") == 0) {
				attr->max_entries = v;
			} else if (strcmp(name, "map_flags") == 0) {
				attr->flags = v;
			} else if (strcmp(name, "key_size") == 0) {
				err = set_size(&attr->key_size, &key_seen, v, map_name, "key size");
			} else if (strcmp(name, "value_size") == 0) {
				err = set_size(&attr->value_size, &value_seen, v, map_name, "value size");
			} else {
				return BTF_FAIL("map %s: member \"%s\" is not supported (type, key, value, key_size, "
						"value_size, max_entries, map_flags are)", map_name, name);
			}
		}
		if (!ok)
			return BTF_FAIL("map %s: member \"%s\" is not encoded as __uint() or __type() would",
					map_name, name);
		if (err != UROCE_BPF_OK)
			return err;
	}
	if (!type_seen)
		return BTF_FAIL("map %s has no type; add __uint(type, BPF_MAP_TYPE_...)", map_name);
	return UROCE_BPF_OK;
}
