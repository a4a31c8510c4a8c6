/* The client connection: buffered reads with deadlines, full writes
 * (held, when asked, to go out together), peer name, and a lingering
 * close. Nothing else touches the client's file descriptors. */
#ifndef HEXIND_CONN_H
#define HEXIND_CONN_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

struct conn {
	int		 in;
	int		 out;
	int		 sock;		/* in is a socket */
	struct buf	 rbuf;		/* read, not yet consumed */
	size_t		 bytes_out;
	int		 failed;	/* a write failed: the client is gone */
	int		 write_timeout_ms; /* a whole write, on a socket */
	size_t		 junk;		/* bytes dropped after the request */
	int		 keep;		/* keep-alive: bytes after the request
					   are the next one, kept in rbuf */
	int		 holding;	/* writes wait in held */
	struct buf	 held;		/* written, not yet sent */
	char		 peer[64];
};

enum { CONN_EOF = 0, CONN_ERR = -1, CONN_TIMEOUT = -2 };

void	conn_init(struct conn *, int in, int out, int write_timeout_ms);
ssize_t	conn_read(struct conn *, long long deadline);
int	conn_write(struct conn *, const void *, size_t);
void	conn_hold(struct conn *);
int	conn_release(struct conn *);
const char *conn_peer(struct conn *);
int	conn_watch_fd(struct conn *);
int	conn_gone(struct conn *);
int	conn_wait(struct conn *, int ms);
void	conn_close(struct conn *, int drain);
void	conn_free(struct conn *);

#endif
