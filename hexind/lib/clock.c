/* The clock every layer reads; see clock.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"

long long
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since the epoch, for what outlives a process and a boot:
 * the token's expiry, a key's counters. */
long long
wall_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sleep_ms(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The UTC calendar date and time of t, as gmtime_r gives them, without
 * glibc's first gmtime_r reading the local time zone's file (an open, a
 * read and an allocation a process that never shows local time needs
 * none of). Days to a civil date in the proleptic Gregorian calendar, by
 * eras of 400 years (146097 days). */
void
clock_utc(time_t t, struct tm *tm)
{
	long long	 days = t / 86400, secs = t % 86400, era, doe, yoe, doy;
	long long	 mp, y, m;

	memset(tm, 0, sizeof(*tm));
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01: Thu */
	days += 719468;				/* from 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(m - 1);
	tm->tm_year = (int)(y - 1900);
	tm->tm_yday = (int)(m > 2 ? doy + 59 +
	    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) : doy - 306);
}
