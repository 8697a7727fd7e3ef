#include "core/civil.h"

int64_t br_civil_days(int64_t year, int64_t month, int64_t day)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;

    year -= month <= 2;
    era = (year >= 0 ? year : year - 399) / 400;
    yoe = year - era * 400;
    doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}
