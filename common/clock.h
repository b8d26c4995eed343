/* clock.h -- the one clock lanky's timings read: monotonic wall time in
 * milliseconds (CLOCK_MONOTONIC, so an NTP step cannot bend a
 * measurement). Only differences between two readings mean anything. */
#ifndef LK_CLOCK_H
#define LK_CLOCK_H

double lk_clock_ms(void);

#endif
