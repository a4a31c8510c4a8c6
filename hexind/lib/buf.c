/* The length-carrying buffer of buf.h. Functions return 0 on success and
 * -1 when the cap would be exceeded or memory runs out; the buffer is
 * left as it was on failure. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = b->size = 0;
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->cap);
}

int
buf_reserve(struct buf *b, size_t more)
{
	size_t	 need, nsize;
	char	*p;

	if (more > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + more;
	if (b->cap && need > b->cap)
		return -1;
	if (need + 1 <= b->size)
		return 0;
	nsize = b->size ? b->size : 256;
	while (nsize < need + 1)
		nsize = nsize > SIZE_MAX / 2 ? need + 1 : nsize * 2;
	if ((p = realloc(b->data, nsize)) == NULL)
		return -1;
	b->data = p;
	b->size = nsize;
	b->data[b->len] = '\0';	/* buf_cstr() of a buffer read into yet */
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

/* Drops the first n bytes. */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

/* The contents as a NUL-terminated string ("" when empty). */
char *
buf_cstr(struct buf *b)
{
	static char	 empty[1];

	return b->data ? b->data : empty;
}

/* Appends the regular file at path; -1 with errno set (EFBIG past the
 * cap, EINVAL for what is not a regular file). */
int
buf_read_file(struct buf *b, const char *path)
{
	struct stat	 st;
	int		 fd, r, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	r = buf_read_fd(b, fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* Appends what fd holds to its end; -1 with errno set (EFBIG past the
 * cap). The caller closes fd. */
int
buf_read_fd(struct buf *b, int fd)
{
	char		 chunk[8192];
	ssize_t		 r;

	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_add(b, chunk, (size_t)r) == -1) {
			errno = EFBIG;
			return -1;
		}
	}
	return r == 0 ? 0 : -1;
}
