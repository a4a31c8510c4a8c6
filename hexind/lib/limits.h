/* A named key's limits, kept in one state file per name that every
 * process shares: the requests admitted in the last minute, by the
 * second (a sliding window, so that exactly rpm are admitted in any 60
 * whole seconds), and the tokens spent on the current day (UTC). */
#ifndef HEXIND_LIMITS_H
#define HEXIND_LIMITS_H

#include "lib/lock.h"

#define LIMITS_RPM_MAX	100000

enum limit_verdict {
	LIMIT_OK,
	LIMIT_RPM,		/* over its requests a minute */
	LIMIT_TPD,		/* over its tokens a day */
	LIMIT_ERROR,		/* the state could not be kept; errno */
};

struct limits {
	const char	*dir;		/* the state directory */
	const char	*name;		/* the key's name */
	long		 rpm;		/* 0: none */
	long long	 tpd;		/* 0: none */
};

enum limit_verdict limits_admit(const struct limits *, long long now_ms,
	    long *retry_s, lock_gone_fn, void *);
int	limits_spend(const struct limits *, long long now_ms,
	    long long tokens);
int	limits_name_ok(const char *);

#endif
