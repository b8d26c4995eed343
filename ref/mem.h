/* mem.h -- big buffers that decode streams through every token.
 *
 * Weights, KV caches and the bandwidth probe's buffer are read from end
 * to end once per token. On 4 KiB pages that costs a TLB miss every 4 KiB;
 * transparent huge pages (2 MiB) need 512x fewer TLB entries. So these
 * buffers are mmap'd and advised MADV_HUGEPAGE (a hint the kernel may
 * ignore; the memory works either way).
 */
#ifndef REF_MEM_H
#define REF_MEM_H

#include <stdint.h>

/* Zeroed, page-aligned memory of bytes (>= 1); NULL when out of memory. */
void *mem_huge_alloc(uint64_t bytes);

/* Free what mem_huge_alloc(bytes) returned (NULL is fine). */
void mem_huge_free(void *p, uint64_t bytes);

/* This machine's physical memory in bytes (UINT64_MAX when unknown).
 * Weights and KV caches are written whole, so one that needs more can
 * never work: callers refuse it up front, with a message, instead of
 * being killed by the kernel's OOM killer midway (or aborted by ASan,
 * whose allocator does not return NULL). */
uint64_t mem_physical(void);

#endif
