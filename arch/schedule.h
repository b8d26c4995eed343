/* schedule.h -- which physical block each executed layer runs.
 *
 * With L distinct blocks and repeat factor R a token executes L*R layers:
 *
 *   none             0,1,...,L-1                         (R must be 1)
 *   immediate        0,0,..,0, 1,1,..,1, ...             (each block R times)
 *   repeat-all-over  0..L-1, 0..L-1, ...                 (R passes)
 *   reverse          0..L-1, L-1..0, 0..L-1, ...         (R passes, every
 *                    second pass backwards, so the block at each turn runs
 *                    twice in a row)
 *
 * Every executed layer has its own activations and KV cache; only the
 * weights are shared.
 */
#ifndef ARCH_SCHEDULE_H
#define ARCH_SCHEDULE_H

#include <stdint.h>

#include "spec.h"

/* L * R for a finished spec. */
int64_t arch_executed_layers(const arch_spec *s);

/* Fill blocks[0 .. L*R-1] with the physical block of each executed
 * layer; blocks must have room for arch_executed_layers(s) entries. */
void arch_schedule(const arch_spec *s, int64_t *blocks);

#endif
