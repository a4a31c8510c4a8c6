/* See admit.h. A refusal comes before any upstream call, in the client
 * API's own error shape, and names the key and the limit, never the key
 * itself. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "http/reply.h"
#include "lib/clock.h"
#include "lib/limits.h"
#include "lib/log.h"

static void
limits_of(const struct exchange *c, const struct client_key *k,
    struct limits *l, char *dir, size_t dirsz)
{
	l->dir = conf_state_dir(c->conf, dir, dirsz);
	l->name = k->name;
	l->rpm = k->rpm;
	l->tpd = k->tpd;
}

int
admit(struct exchange *c)
{
	const struct client_key	*k = c->key;
	struct limits		 l;
	char			 dir[PATH_MAX], extra[64];
	long			 retry;

	if (k == NULL)
		return 0;
	if (k->models[0] && !conf_list_match(k->models, c->model)) {
		reply_error(c, 403, "model_not_allowed", "the key %s may not "
		    "use the model '%.200s' (its models= in the keys file: "
		    "%.300s)", k->name, c->model, k->models);
		return -1;
	}
	limits_of(c, k, &l, dir, sizeof(dir));
	switch (limits_admit(&l, wall_ms(), &retry, NULL, NULL)) {
	case LIMIT_OK:
		return 0;
	case LIMIT_RPM:
		snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n", retry);
		reply_error_extra(c, 429, "rate_limit_exceeded", extra,
		    "the key %s is over its limit of %ld requests a minute "
		    "(rpm); retry in %ld s", k->name, k->rpm, retry);
		return -1;
	case LIMIT_TPD:
		snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n", retry);
		reply_error_extra(c, 429, "tokens_exceeded", extra,
		    "the key %s has spent its %lld tokens a day (tpd); the "
		    "day ends (UTC) in %ld s", k->name, k->tpd, retry);
		return -1;
	default:
		log_error("state directory %s: the limits of key %s cannot "
		    "be kept: %s", l.dir, k->name, strerror(errno));
		reply_error(c, 503, "limits_unavailable", "the limits of key "
		    "%s cannot be checked; the server's log says why",
		    k->name);
		return -1;
	}
}

/* Counts what the request spent against the key's tokens a day. */
void
admit_spent(struct exchange *c)
{
	const struct client_key	*k = c->key;
	struct limits		 l;
	char			 dir[PATH_MAX];

	if (k == NULL || k->tpd <= 0 || !c->usage.seen)
		return;
	limits_of(c, k, &l, dir, sizeof(dir));
	if (limits_spend(&l, wall_ms(), c->usage.input + c->usage.output) ==
	    -1)
		log_error("state directory %s: the tokens of key %s were not "
		    "counted: %s", l.dir, k->name, strerror(errno));
}
