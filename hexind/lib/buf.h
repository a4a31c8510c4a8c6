/* A length-carrying byte buffer: every append is bounded by a cap, so no
 * caller ever writes past what it was given. */
#ifndef HEXIND_BUF_H
#define HEXIND_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;	/* allocated */
	size_t	 cap;	/* hard limit on len; 0 means unlimited */
};

void	buf_init(struct buf *, size_t cap);
void	buf_free(struct buf *);
int	buf_reserve(struct buf *, size_t more);
int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, char);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_consume(struct buf *, size_t);
char	*buf_cstr(struct buf *);
int	buf_read_file(struct buf *, const char *path);
int	buf_read_fd(struct buf *, int fd);

#endif
