/* mem.c -- big buffers on transparent huge pages (see mem.h). */
#include "mem.h"

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

void *mem_huge_alloc(uint64_t bytes)
{
    size_t n = bytes ? (size_t)bytes : 1;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, n, MADV_HUGEPAGE);
    return p;
}

void mem_huge_free(void *p, uint64_t bytes)
{
    if (p)
        munmap(p, bytes ? (size_t)bytes : 1);
}

uint64_t mem_physical(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}
