/* See statefile.h. The lock file stays beside the data file: locking the
 * data file itself would lock an inode that the next rename retires. The
 * new contents go to NAME.new, which only the lock holder writes, so a
 * killed writer leaves no litter that grows: the next one truncates it. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "lib/log.h"
#include "lib/statefile.h"

/* dir/sub as a directory, each made when missing; out gets its path. */
int
statefile_dir(const char *dir, const char *sub, char *out, size_t outsz)
{
	int	 n;

	n = snprintf(out, outsz, "%s/%s", dir, sub);
	if (n < 0 || (size_t)n + 16 >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (jsonl_mkdir(dir) == -1 || jsonl_mkdir(out) == -1)
		return -1;
	return 0;
}

/* A file of ours that nobody else may change, opened without following a
 * link; -1 with errno ENOENT when there is none. */
static int
open_own(const char *path, int flags, mode_t mode)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    mode)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		log_warn("%s: not a file of this user that only it may "
		    "write: refused", path);
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int
read_into(const char *path, struct buf *b)
{
	int	 fd, rc, saved;

	b->len = 0;
	if ((fd = open_own(path, O_RDONLY, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = buf_read_fd(b, fd);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

/* Takes the file's lock (waiting at most ms) and reads it into sf->data. */
int
statefile_lock(struct statefile *sf, const char *dir, const char *name,
    int ms, lock_gone_fn gone, void *arg)
{
	char	 lock[PATH_MAX + 8];
	int	 n, saved;

	sf->lockfd = -1;
	buf_init(&sf->data, STATEFILE_MAX);
	n = snprintf(sf->path, sizeof(sf->path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n + 8 >= sizeof(sf->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)snprintf(lock, sizeof(lock), "%s.lock", sf->path);
	if ((sf->lockfd = open_own(lock, O_RDWR | O_CREAT, 0640)) == -1)
		return -1;
	if (lock_wait(sf->lockfd, ms, gone, arg) == -1 ||
	    read_into(sf->path, &sf->data) == -1) {
		saved = errno;
		statefile_unlock(sf);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Replaces the file with b, still under the lock. */
int
statefile_commit(struct statefile *sf, const struct buf *b)
{
	char	 tmp[PATH_MAX + 8];
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd, saved;

	(void)snprintf(tmp, sizeof(tmp), "%s.new", sf->path);
	if ((fd = open_own(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1)
		return -1;
	while (off < b->len) {
		w = write(fd, b->data + off, b->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			saved = w == 0 ? ENOSPC : errno;
			(void)close(fd);
			errno = saved;
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1 || rename(tmp, sf->path) == -1)
		return -1;
	return 0;
}

void
statefile_unlock(struct statefile *sf)
{
	if (sf->lockfd != -1)
		(void)close(sf->lockfd);
	sf->lockfd = -1;
	buf_free(&sf->data);
}

/* A decimal count in 0..STATEFILE_NUM_MAX at p, *end just after it; -1 if
 * there is none or it is out of range. */
int
statefile_num(const char *p, const char **end, long long *v)
{
	char	*e;

	errno = 0;
	*v = strtoll(p, &e, 10);
	*end = e;
	return e == p || errno != 0 || *v < 0 || *v > STATEFILE_NUM_MAX ?
	    -1 : 0;
}
