/* The part of BTF (the kernel's BPF Type Format, the .BTF section clang -g
 * writes) the ELF loader needs: the variables of a data section and the
 * layout of a BTF-defined map (`struct { __uint(type, ...); ... } m SEC(".maps")`). */
#ifndef UROCE_BPF_BTF_H
#define UROCE_BPF_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "uroce/bpf.h"

struct bpf_btf;

/* Validates the .BTF section (header, every type record, the string table)
 * and indexes its types. The data must outlive the returned object. Errors
 * are UROCE_BPF_ERR_ELF (or NO_MEMORY) with the thread's error set. */
enum uroce_bpf_err bpf_btf_parse(const void *data, size_t len, struct bpf_btf **out);
void bpf_btf_free(struct bpf_btf *btf);

/* The type id of variable `var` listed in data section `datasec` (".maps"),
 * or 0 when there is none. */
uint32_t bpf_btf_datasec_var(const struct bpf_btf *btf, const char *datasec, const char *var);

/* Reads the map definition that variable type `var_id` describes, libbpf's
 * encoding: __uint(name, N) is a pointer to an array of N ints, __type(name,
 * T) a pointer to T (its size is the key or value size). Fills type,
 * key_size, value_size, max_entries and flags of attr; the error names the
 * map (`map_name`) and the member at fault. */
enum uroce_bpf_err bpf_btf_map_def(const struct bpf_btf *btf, uint32_t var_id, const char *map_name,
				   struct uroce_bpf_map_attr *attr);

#endif
