/* The usage ledger: one JSON line for every request that reached an
 * endpoint, in a file a day (UTC) under the state directory's usage/,
 * appended whole by every process at once; read back by hexind --usage
 * and by the metrics. */
#ifndef HEXIND_LEDGER_H
#define HEXIND_LEDGER_H

#include <sys/types.h>

#include "http/exchange.h"
#include "lib/conf.h"

#define LEDGER_DAY_LEN	10		/* YYYY-MM-DD */

/* One record as read back. */
struct ledger_rec {
	char		 day[LEDGER_DAY_LEN + 1];
	char		 key[72];
	char		 endpoint[32];
	char		 model[256];	/* as asked */
	char		 served[256];	/* the model that answered */
	char		 family[64];
	char		 error[32];	/* "" when none */
	int		 status;
	long long	 input, cached, output, reasoning;
	long long	 ms, first_ms;	/* first_ms -1: no byte went out */
	long long	 retries, relogins;
};

typedef void (*ledger_fn)(const struct ledger_rec *, void *);

void	ledger_write(struct exchange *);
int	ledger_dir(const struct conf *, char *out, size_t outsz);
int	ledger_days(const char *dir, char (**days)[LEDGER_DAY_LEN + 1],
	    size_t *n);
int	ledger_read(const char *dir, const char *day, off_t from, off_t *end,
	    ledger_fn, void *);
int	ledger_errors(const struct ledger_rec *);
int	ledger_report(const struct conf *, int argc, char **argv);

#endif
