/* W^X code buffers for the JIT: mmap read+write, fill, mprotect to
 * read+execute, munmap. The pages are never writable and executable at once,
 * so a stray write cannot become code. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf/jit_mem.h"

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096u;
}

void *bpf_jit_mem_alloc(size_t size, size_t *mapped)
{
	const size_t ps = page_size();
	if (size == 0 || size > SIZE_MAX - ps)
		return NULL;
	const size_t len = (size + ps - 1) / ps * ps;
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	*mapped = len;
	return mem;
}

int bpf_jit_mem_seal(void *mem, size_t mapped)
{
	/* The same pages, never both writable and executable. */
	return mprotect(mem, mapped, PROT_READ | PROT_EXEC);
}

void bpf_jit_mem_free(void *mem, size_t mapped)
{
	if (mem)
		munmap(mem, mapped);
}
