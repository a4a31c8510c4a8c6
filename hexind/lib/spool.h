/* A spool: one unlinked file in $TMPDIR (else /tmp) that several answers
 * are written to as their bytes arrive, side by side, and read back each
 * in order, so that memory stays flat in their size. Each answer keeps
 * the list of its pieces. */
#ifndef HEXIND_SPOOL_H
#define HEXIND_SPOOL_H

#include <sys/types.h>

#include <stddef.h>

struct spool {
	int		 fd;		/* -1: not made yet */
	off_t		 end;
};

/* Where a piece of an answer is in the spool. */
struct extent {
	off_t		 at;
	size_t		 len;
};

/* One answer in a spool: its pieces, in order. */
struct spooled {
	struct spool	*spool;
	struct extent	*ext;
	size_t		 next, next_max;
};

void	spool_init(struct spool *);
void	spool_close(struct spool *);
const char *spool_dir(void);
int	spool_add(struct spooled *, const char *, size_t);
ssize_t	spool_read(const struct spooled *, char *, size_t n, size_t at);
void	spooled_free(struct spooled *);

#endif
