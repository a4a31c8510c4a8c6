/* clock_utc against glibc's gmtime_r: every day from year -2000 to
 * 6000 at a second that walks through the day, and the seconds around
 * each year's turn. Exit 0 when every field of every case agrees, else
 * 1 with the first case that differs on stderr. Built with WOLFSSL_UTC
 * (build/gmtime-test), the same for the static build's wolfSSL, which
 * reckons its certificates' dates so (scripts/build-curl.d). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef WOLFSSL_UTC
#define NAME	"gmtime-test"
struct tm	*wc_GmTimeUtc(const time_t *, struct tm *);
#define clock_utc(t, tm)	((void)wc_GmTimeUtc(&(t), (tm)))
#else
#include "lib/clock.h"
#define NAME	"clock-test"
#endif

static int
same(time_t t)
{
	struct tm	 want, got;

	if (gmtime_r(&t, &want) == NULL) {
		fprintf(stderr, NAME ": gmtime_r(%lld) failed\n",
		    (long long)t);
		return 0;
	}
	clock_utc(t, &got);
	if (got.tm_year == want.tm_year && got.tm_mon == want.tm_mon &&
	    got.tm_mday == want.tm_mday && got.tm_hour == want.tm_hour &&
	    got.tm_min == want.tm_min && got.tm_sec == want.tm_sec &&
	    got.tm_wday == want.tm_wday && got.tm_yday == want.tm_yday &&
	    got.tm_isdst == 0)
		return 1;
	fprintf(stderr, NAME ": %lld: %d-%d-%d %d:%d:%d wday %d yday %d, "
	    "gmtime_r %d-%d-%d %d:%d:%d wday %d yday %d\n", (long long)t,
	    got.tm_year, got.tm_mon, got.tm_mday, got.tm_hour, got.tm_min,
	    got.tm_sec, got.tm_wday, got.tm_yday, want.tm_year, want.tm_mon,
	    want.tm_mday, want.tm_hour, want.tm_min, want.tm_sec,
	    want.tm_wday, want.tm_yday);
	return 0;
}

int
main(void)
{
	const long long	 first = -62167219200LL - 2000LL * 31556952;
	const long long	 last = 253402300800LL + 4000LL * 31556952;
	long long	 t, s = 0, n = 0;

	for (t = first; t < last; t += 86400, s = (s + 7919) % 86400, n++)
		if (!same((time_t)(t + s)) || !same((time_t)t) ||
		    !same((time_t)(t - 1)))
			return 1;
	printf(NAME ": %lld days agree\n", n);
	return 0;
}
