#ifndef BR_CIVIL_H
#define BR_CIVIL_H
/* Calendar arithmetic shared by the parsers of dates (Retry-After, ZonedTimestamp). */
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12); H. Hinnant's algorithm. */
int64_t br_civil_days(int64_t year, int64_t month, int64_t day);

#endif
