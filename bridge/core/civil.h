#ifndef BR_CIVIL_H
#define BR_CIVIL_H
/* Calendar arithmetic shared by the parsers and writers of dates. */
#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12); H. Hinnant's algorithm. */
int64_t br_civil_days(int64_t year, int64_t month, int64_t day);

/* Whether year-month-day (month 1..12) is a date of the proleptic Gregorian calendar. */
bool br_civil_valid_date(int64_t year, int64_t month, int64_t day);

/* The proleptic Gregorian date of days since 1970-01-01 (the inverse of br_civil_days). */
void br_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif
