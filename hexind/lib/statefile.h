/* A small file many short-lived processes share in the state directory
 * (the metrics' totals): changed only under an
 * exclusive lock on NAME.lock, and replaced whole by rename(2) from
 * NAME.new, so that a process killed at any instant leaves the old file
 * or the new one, never half of one. Like the token cache, a file that
 * is a symbolic link, another user's or writable by others is refused. */
#ifndef HEXIND_STATEFILE_H
#define HEXIND_STATEFILE_H

#include <limits.h>

#include "lib/buf.h"
#include "lib/lock.h"

#define STATEFILE_MAX	(4 * 1024 * 1024)
/* The largest count a state file may hold: what is added to a count read
 * back, or summed over a window of them, stays in a long long's range. */
#define STATEFILE_NUM_MAX	1000000000000000LL

struct statefile {
	char		 path[PATH_MAX];
	int		 lockfd;	/* -1: not locked */
	struct buf	 data;		/* the file as read; empty when new */
};

int	statefile_dir(const char *dir, const char *sub, char *out,
	    size_t outsz);
int	statefile_lock(struct statefile *, const char *dir, const char *name,
	    int ms, lock_gone_fn, void *);
int	statefile_commit(struct statefile *, const struct buf *);
void	statefile_unlock(struct statefile *);
int	statefile_num(const char *p, const char **end, long long *);

#endif
