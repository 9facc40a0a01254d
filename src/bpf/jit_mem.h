/* Executable memory for the JIT, write-xor-execute: a buffer is mapped
 * read+write, filled, then turned read+execute; it is never both. */
#ifndef UROCE_BPF_JIT_MEM_H
#define UROCE_BPF_JIT_MEM_H

#include <stddef.h>

/* Maps at least size bytes read+write; *mapped gets the mapped length.
 * NULL (errno set) on failure. */
void *bpf_jit_mem_alloc(size_t size, size_t *mapped);
/* Makes the buffer read+execute (no longer writable). 0, or -1 with errno. */
int bpf_jit_mem_seal(void *mem, size_t mapped);
void bpf_jit_mem_free(void *mem, size_t mapped);

#endif
