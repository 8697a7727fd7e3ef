#ifndef BR_CLOCK_H
#define BR_CLOCK_H
/* The two clocks of the bridge, in milliseconds. */
#include <stdint.h>

/* Monotonic time, for deadlines and durations. */
int64_t br_clock_monotonic_ms(void);
/* Milliseconds since the epoch, for timestamps that leave the process. */
int64_t br_clock_wall_ms(void);

#endif
