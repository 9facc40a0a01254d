/* Objects: opening (the ELF loader does the parsing), creating the maps,
 * loading the programs, and the accessors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/object.h"
#include "bpf/prog.h"

#define OBJECT_FILE_MAX (256u << 20) /* bytes; far beyond any BPF object */

enum uroce_bpf_err uroce_bpf_object_open_mem(const void *buf, size_t len, const char *name,
					     struct uroce_bpf_object **out)
{
	if (!out)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no place for the object");
	*out = NULL;
	if (!buf && len)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no buffer for %zu bytes", len);
	struct uroce_bpf_object *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for the object");
	const char *n = name ? name : "(memory)";
	obj->name = malloc(strlen(n) + 1);
	if (!obj->name) {
		free(obj);
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for the object");
	}
	strcpy(obj->name, n);
	enum uroce_bpf_err err = bpf_elf_parse(obj, buf ? buf : (const void *)"", len);
	if (err == UROCE_BPF_OK && obj->n_maps) {
		obj->maps = calloc(obj->n_maps, sizeof(*obj->maps));
		if (!obj->maps)
			err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for the object's maps");
	}
	if (err != UROCE_BPF_OK) {
		uroce_bpf_object_close(obj);
		return err;
	}
	*out = obj;
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_object_open_file(const char *path, struct uroce_bpf_object **out)
{
	if (!out || !path)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no path or no place for the object");
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "cannot open %s: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = malloc(cap);
	enum uroce_bpf_err err = UROCE_BPF_OK;
	while (buf) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		if (cap >= OBJECT_FILE_MAX) {
			err = bpf_error(UROCE_BPF_ERR_ELF, -1, NULL, "%s is larger than %u bytes; not a BPF object", path,
					OBJECT_FILE_MAX);
			break;
		}
		unsigned char *grown = realloc(buf, cap * 2);
		if (!grown) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = grown;
		cap *= 2;
	}
	if (!buf)
		err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory to read %s", path);
	else if (err == UROCE_BPF_OK && ferror(f))
		err = bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	if (err == UROCE_BPF_OK)
		err = uroce_bpf_object_open_mem(buf, len, path, out);
	free(buf);
	return err;
}

void uroce_bpf_object_close(struct uroce_bpf_object *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < obj->n_progs; i++) {
		uroce_bpf_prog_free(obj->progs[i].loaded);
		free(obj->progs[i].insns);
		free(obj->progs[i].name);
		free(obj->progs[i].section);
	}
	free(obj->progs);
	for (size_t i = 0; i < obj->n_maps; i++) {
		if (obj->maps)
			uroce_bpf_map_put(obj->maps[i]);
		free(obj->map_specs[i].name);
	}
	free(obj->maps);
	free(obj->map_specs);
	free(obj->name);
	free(obj);
}

const char *uroce_bpf_object_name(const struct uroce_bpf_object *obj)
{
	return obj ? obj->name : NULL;
}

/* Creates each map not created or reused yet; the error names the map. */
static enum uroce_bpf_err create_maps(struct uroce_bpf_object *obj)
{
	for (size_t i = 0; i < obj->n_maps; i++) {
		if (obj->maps[i])
			continue;
		enum uroce_bpf_err err = uroce_bpf_map_create(&obj->map_specs[i].attr, &obj->maps[i]);
		if (err != UROCE_BPF_OK) {
			char why[sizeof(((struct uroce_bpf_error *)0)->msg)];
			snprintf(why, sizeof(why), "%s", uroce_bpf_last_error()->msg);
			obj->maps[i] = NULL;
			return bpf_error(err, -1, NULL, "map %s: %s", obj->map_specs[i].name, why);
		}
	}
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_object_create_maps(struct uroce_bpf_object *obj)
{
	if (!obj)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no object");
	return create_maps(obj);
}

enum uroce_bpf_err uroce_bpf_object_prog_load(struct uroce_bpf_object_prog *prog,
					      const struct uroce_bpf_object_load_opts *opts)
{
	static const struct uroce_bpf_object_load_opts defaults;
	if (!prog)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program");
	if (!opts)
		opts = &defaults;
	if (prog->loaded)
		return UROCE_BPF_OK;
	struct uroce_bpf_object *obj = prog->obj;
	enum uroce_bpf_err err = create_maps(obj);
	if (err != UROCE_BPF_OK)
		return err;
	const struct uroce_bpf_load_opts load = {
		.type = prog->type,
		.mem_size = opts->mem_size,
		.maps = obj->n_maps ? obj->maps : NULL,
		.n_maps = obj->n_maps,
		.jit = opts->jit,
		.log = opts->log,
		.log_size = opts->log_size,
		.log_level = opts->log_level,
		.name = prog->name,
	};
	return uroce_bpf_prog_load(prog->insns, prog->n_insns, &load, &prog->loaded);
}

enum uroce_bpf_err uroce_bpf_object_load(struct uroce_bpf_object *obj, const struct uroce_bpf_object_load_opts *opts)
{
	if (!obj)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no object");
	enum uroce_bpf_err err = create_maps(obj);
	for (size_t i = 0; i < obj->n_progs && err == UROCE_BPF_OK; i++) {
		err = uroce_bpf_object_prog_load(&obj->progs[i], opts);
		if (err != UROCE_BPF_OK) {
			/* Name the program, keeping the instruction index the verifier reported. */
			char prefix[160];
			snprintf(prefix, sizeof(prefix), "program %s", obj->progs[i].name);
			bpf_error_prefix(prefix);
		}
	}
	return err;
}

size_t uroce_bpf_object_prog_count(const struct uroce_bpf_object *obj)
{
	return obj ? obj->n_progs : 0;
}

struct uroce_bpf_object_prog *uroce_bpf_object_prog_at(const struct uroce_bpf_object *obj, size_t i)
{
	return obj && i < obj->n_progs ? &obj->progs[i] : NULL;
}

struct uroce_bpf_object_prog *uroce_bpf_object_find_prog(const struct uroce_bpf_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->n_progs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return &obj->progs[i];
	return NULL;
}

struct uroce_bpf_object_prog *uroce_bpf_object_find_prog_by_section(const struct uroce_bpf_object *obj,
								    const char *section)
{
	for (size_t i = 0; obj && section && i < obj->n_progs; i++)
		if (strcmp(obj->progs[i].section, section) == 0)
			return &obj->progs[i];
	return NULL;
}

const char *uroce_bpf_object_prog_name(const struct uroce_bpf_object_prog *prog)
{
	return prog ? prog->name : NULL;
}

const char *uroce_bpf_object_prog_section(const struct uroce_bpf_object_prog *prog)
{
	return prog ? prog->section : NULL;
}

enum uroce_bpf_prog_type uroce_bpf_object_prog_type(const struct uroce_bpf_object_prog *prog)
{
	return prog ? prog->type : UROCE_BPF_PROG_RAW;
}

const struct uroce_bpf_insn *uroce_bpf_object_prog_insns(const struct uroce_bpf_object_prog *prog, size_t *n)
{
	if (n)
		*n = prog ? prog->n_insns : 0;
	return prog ? prog->insns : NULL;
}

struct uroce_bpf_prog *uroce_bpf_object_prog_loaded(const struct uroce_bpf_object_prog *prog)
{
	return prog ? prog->loaded : NULL;
}

size_t uroce_bpf_object_map_count(const struct uroce_bpf_object *obj)
{
	return obj ? obj->n_maps : 0;
}

const struct uroce_bpf_map_attr *uroce_bpf_object_map_spec(const struct uroce_bpf_object *obj, size_t i)
{
	return obj && i < obj->n_maps ? &obj->map_specs[i].attr : NULL;
}

const char *uroce_bpf_object_map_name(const struct uroce_bpf_object *obj, size_t i)
{
	return obj && i < obj->n_maps ? obj->map_specs[i].name : NULL;
}

struct uroce_bpf_map *uroce_bpf_object_map(const struct uroce_bpf_object *obj, size_t i)
{
	return obj && i < obj->n_maps ? obj->maps[i] : NULL;
}

long uroce_bpf_object_map_index(const struct uroce_bpf_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->n_maps; i++)
		if (strcmp(obj->map_specs[i].name, name) == 0)
			return (long)i;
	return -1;
}

struct uroce_bpf_map *uroce_bpf_object_find_map(const struct uroce_bpf_object *obj, const char *name)
{
	long i = uroce_bpf_object_map_index(obj, name);
	return i < 0 ? NULL : obj->maps[i];
}

enum uroce_bpf_err uroce_bpf_object_reuse_map(struct uroce_bpf_object *obj, const char *name,
					      struct uroce_bpf_map *map)
{
	if (!obj || !map)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no object or no map");
	long i = uroce_bpf_object_map_index(obj, name);
	if (i < 0)
		return bpf_error(UROCE_BPF_ERR_NOENT, -1, NULL, "the object declares no map named %s",
				 name ? name : "(null)");
	if (obj->maps[i])
		return bpf_error(UROCE_BPF_ERR_EXIST, -1, NULL, "map %s is created already; reuse maps before loading",
				 name);
	const struct uroce_bpf_map_attr *want = &obj->map_specs[i].attr, *have = uroce_bpf_map_attr(map);
	if (have->type != want->type || have->key_size != want->key_size || have->value_size != want->value_size ||
	    have->max_entries != want->max_entries)
		return bpf_error(UROCE_BPF_ERR_MAP_ATTR, -1, NULL,
				 "map %s is declared as type %d, key %u, value %u bytes, %u entries; the map given is "
				 "type %d, key %u, value %u bytes, %u entries", name, (int)want->type, want->key_size,
				 want->value_size, want->max_entries, (int)have->type, have->key_size, have->value_size,
				 have->max_entries);
	obj->maps[i] = uroce_bpf_map_get(map);
	return UROCE_BPF_OK;
}
