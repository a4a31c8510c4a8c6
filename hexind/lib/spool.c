/* See spool.h. The file is made on the first byte, unlinked from the
 * start (O_TMPFILE, or mkostemp and unlink where the file system has
 * none), so nothing is left behind whatever becomes of the process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/spool.h"

void
spool_init(struct spool *sp)
{
	sp->fd = -1;	/* (0 is the client's descriptor) */
	sp->end = 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->fd >= 0)
		(void)close(sp->fd);
	sp->fd = -1;
}

const char *
spool_dir(void)
{
	const char	*d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

static int
spool_open(void)
{
	char		 path[4096];
	int		 fd;

	fd = open(spool_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
	/* a file system without O_TMPFILE */
	if ((size_t)snprintf(path, sizeof(path), "%s/hexind.XXXXXX",
	    spool_dir()) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		(void)unlink(path);
	return fd;
}

/* Appends n bytes to the spool, as a piece of a. */
int
spool_add(struct spooled *a, const char *p, size_t n)
{
	struct spool	*sp = a->spool;
	struct extent	*x;
	ssize_t		 w;
	size_t		 k;

	if (sp->fd == -1 && (sp->fd = spool_open()) == -1)
		return -1;
	x = a->next ? &a->ext[a->next - 1] : NULL;
	if (x == NULL || x->at + (off_t)x->len != sp->end) {
		if (a->next == a->next_max) {
			k = a->next_max ? a->next_max * 2 : 16;
			if ((x = realloc(a->ext, k * sizeof(*x))) == NULL)
				return -1;
			a->ext = x;
			a->next_max = k;
		}
		x = &a->ext[a->next++];
		x->at = sp->end;
		x->len = 0;
	}
	while (n > 0) {
		if ((w = pwrite(sp->fd, p, n, sp->end)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		x->len += (size_t)w;
		sp->end += w;
	}
	return 0;
}

/* Reads up to n bytes of a's answer from byte at on; 0 at its end. */
ssize_t
spool_read(const struct spooled *a, char *p, size_t n, size_t at)
{
	size_t		 i, k;
	ssize_t		 r;

	for (i = 0; i < a->next; i++) {
		if (at >= a->ext[i].len) {
			at -= a->ext[i].len;
			continue;
		}
		k = a->ext[i].len - at < n ? a->ext[i].len - at : n;
		while ((r = pread(a->spool->fd, p, k, a->ext[i].at +
		    (off_t)at)) == -1 && errno == EINTR)
			;
		return r == 0 ? -1 : r;	/* (the file is never cut short) */
	}
	return 0;
}

/* Forgets a's pieces (the bytes stay in the spool). */
void
spooled_free(struct spooled *a)
{
	free(a->ext);
	a->ext = NULL;
	a->next = a->next_max = 0;
}
