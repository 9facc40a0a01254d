/* The object model behind struct uroce_bpf_object (API in uroce/bpf.h):
 * elf_loader.c fills it from an ELF file, object.c loads and lists it. */
#ifndef UROCE_BPF_OBJECT_H
#define UROCE_BPF_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uroce/bpf.h"

struct uroce_bpf_object_prog {
	struct uroce_bpf_object *obj;
	char *name;                   /* the function's symbol */
	char *section;
	enum uroce_bpf_prog_type type;
	struct uroce_bpf_insn *insns; /* relocated: the function, then the .text functions it calls */
	size_t n_insns;
	struct uroce_bpf_prog *loaded;
};

struct bpf_object_map {
	char *name;                   /* full name; attr.name is the truncated copy */
	struct uroce_bpf_map_attr attr;
};

struct uroce_bpf_object {
	char *name;
	struct uroce_bpf_object_prog *progs;
	size_t n_progs;
	struct bpf_object_map *map_specs;
	struct uroce_bpf_map **maps;  /* n_maps; NULL until created or reused */
	size_t n_maps;
};

/* Parses and relocates the ELF image into obj (name set, nothing else).
 * On error obj may hold part of the result: uroce_bpf_object_close frees it. */
enum uroce_bpf_err bpf_elf_parse(struct uroce_bpf_object *obj, const uint8_t *buf, size_t len);

#endif
