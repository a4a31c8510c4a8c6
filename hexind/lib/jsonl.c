/* A JSON-lines file that hundreds of processes append to at once: each
 * takes flock(2), writes its whole line with O_APPEND, and cuts a failed
 * write back off under the lock, so no line is ever torn, interleaved or
 * left half written; a line a killed process left half written is cut
 * off by the next writer. See jsonl.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "lib/lock.h"
#include "lib/log.h"

#define LOCK_WAIT_MS	5000

/* A directory, made when missing (0750); one that exists must be a
 * directory, not a link to one. */
int
jsonl_mkdir(const char *path)
{
	struct stat	 st;

	if (mkdir(path, 0750) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* A process killed inside its write(2) leaves part of a line without its
 * newline; the next writer, holding the lock, cuts it off before adding
 * its own, so the file stays whole lines. */
static int
tail_repair(int fd, const char *path, off_t *size)
{
	char	 b[4096];
	off_t	 at = *size;
	ssize_t	 n, i;

	while (at > 0) {
		n = at < (off_t)sizeof(b) ? (ssize_t)at : (ssize_t)sizeof(b);
		if (pread(fd, b, (size_t)n, at - n) != n)
			return -1;
		for (i = n; i > 0; i--)
			if (b[i - 1] == '\n')
				break;
		if (i > 0 || at - n == 0) {
			at = at - n + i;
			break;
		}
		at -= n;
	}
	if (at == *size)
		return 0;
	if (ftruncate(fd, at) == -1)
		return -1;
	log_warn("%s: cut off %lld bytes of a line a killed process "
	    "left", path, (long long)(*size - at));
	*size = at;
	return 0;
}

/* Appends the line whole, or not at all. */
int
jsonl_append(const char *path, const struct buf *line)
{
	struct stat	 st;
	size_t		 off = 0;
	ssize_t		 w;
	int		 fd, saved;

	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0640)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (lock_wait(fd, LOCK_WAIT_MS, NULL, NULL) == -1 ||
	    fstat(fd, &st) == -1 || tail_repair(fd, path, &st.st_size) == -1)
		goto fail;
	while (off < line->len) {
		w = write(fd, line->data + off, line->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			saved = errno;
			/* cut the part written back off, still locked */
			if (off > 0 && ftruncate(fd, st.st_size) == -1)
				log_error("%s: a torn line could not "
				    "be cut off: %s", path, strerror(errno));
			errno = saved;
			goto fail;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1)
		return -1;
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}
