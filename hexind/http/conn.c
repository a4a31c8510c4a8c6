/* Reads wait in poll(2) for at most the time left to a deadline; writes
 * loop over short writes and EINTR. SIGPIPE is ignored by main, so a
 * client that went away shows up as EPIPE here. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/conn.h"
#include "lib/clock.h"

#define READ_CHUNK	16384
#define DRAIN_MS	1000
#define DRAIN_BYTES	(1024 * 1024)
#define CONN_JUNK_MAX	(1024 * 1024)
#define HOLD_MAX	65536	/* held writes go out at this size */

/* Sets the socket's send timeout to ms (at least 1: 0 means never). */
static void
send_timeout(struct conn *c, long long ms)
{
	struct timeval	 tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	(void)setsockopt(c->out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
conn_init(struct conn *c, int in, int out, int write_timeout_ms)
{
	struct stat	 st;
	int		 one = 1;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->out = out;
	c->write_timeout_ms = write_timeout_ms;
	buf_init(&c->rbuf, 0);
	buf_init(&c->held, HOLD_MAX);
	c->sock = fstat(in, &st) == 0 && S_ISSOCK(st.st_mode);
	if (c->sock) {
		/* A client that stops reading must not hold us forever. */
		send_timeout(c, write_timeout_ms);
		/* Every write is a whole head, answer or event: none should
		 * wait for the client's delayed ACK of the one before (40 ms
		 * an event once a kept-alive connection is past its start).
		 * Not TCP (a unix socket): nothing to do. */
		(void)setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
}

void
conn_free(struct conn *c)
{
	buf_free(&c->rbuf);
	buf_free(&c->held);
}

/* Appends what arrives before the deadline to c->rbuf: the byte count,
 * CONN_EOF, CONN_ERR or CONN_TIMEOUT. */
ssize_t
conn_read(struct conn *c, long long deadline)
{
	struct pollfd	 pfd = { .fd = c->in, .events = POLLIN };
	long long	 left;
	ssize_t		 r;
	int		 pr;

	if (buf_reserve(&c->rbuf, READ_CHUNK) == -1)
		return CONN_ERR;
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return CONN_TIMEOUT;
		pr = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == -1)
			return CONN_ERR;
		if (pr == 0)
			continue;
		r = read(c->in, c->rbuf.data + c->rbuf.len, READ_CHUNK);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return errno == ECONNRESET ? CONN_EOF : CONN_ERR;
		c->rbuf.len += (size_t)r;
		c->rbuf.data[c->rbuf.len] = '\0';
		return r;
	}
}

/* Writes all n bytes; -1 once the client is gone (and ever after). On a
 * socket the whole write has one deadline, the write timeout from its
 * start: SO_SNDTIMEO alone would give each partial write(2) the whole
 * timeout again, and a client that never reads would hold the process
 * two or three times as long. */
static int
write_all(struct conn *c, const void *p, size_t n)
{
	const char	*s = p;
	long long	 start = 0, left;
	int		 shortened = 0;
	ssize_t		 w;

	if (c->failed)
		return -1;
	if (c->sock)
		start = now_ms();
	while (n > 0) {
		w = write(c->out, s, n);
		if (w == -1 && errno == EINTR)
			w = 0;
		else if (w <= 0) {
			c->failed = 1;
			return -1;
		}
		s += w;
		n -= (size_t)w;
		c->bytes_out += (size_t)w;
		if (n == 0 || !c->sock)
			continue;
		left = start + c->write_timeout_ms - now_ms();
		if (left <= 0) {
			c->failed = 1;
			return -1;
		}
		send_timeout(c, left);
		shortened = 1;
	}
	if (shortened)
		send_timeout(c, c->write_timeout_ms);
	return 0;
}

static int
send_held(struct conn *c)
{
	int	 rc;

	if (c->held.len == 0)
		return c->failed ? -1 : 0;
	rc = write_all(c, c->held.data, c->held.len);
	c->held.len = 0;
	return rc;
}

/* Writes all n bytes, or while held keeps them to go out with the rest
 * in one write(2); -1 once the client is gone. */
int
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->failed)
		return -1;
	if (c->holding) {
		if (c->held.len + n > HOLD_MAX && send_held(c) == -1)
			return -1;
		if (buf_add(&c->held, p, n) == 0)
			return 0;
	}
	if (send_held(c) == -1)
		return -1;
	return write_all(c, p, n);
}

/* Writes wait until conn_release, which sends them in one write(2): the
 * events of one read from Hexin go out together, where each in its own
 * write cost the kernel a send and the client a wake-up apiece. */
void
conn_hold(struct conn *c)
{
	c->holding = 1;
}

int
conn_release(struct conn *c)
{
	c->holding = 0;
	return send_held(c);
}

/* The descriptor to watch for the client hanging up. */
int
conn_watch_fd(struct conn *c)
{
	return c->sock ? c->in : c->out;
}

/* Waits up to ms for something on the watched descriptor: 1 when there
 * is, 0 when not. */
int
conn_wait(struct conn *c, int ms)
{
	struct pollfd	 p;

	p.fd = conn_watch_fd(c);
	p.events = c->sock ? POLLIN : 0;
	p.revents = 0;
	return poll(&p, 1, ms) == 1;
}

/* Whether the client has gone. On a socket, EOF means gone: a client that
 * half-closes and waits is too rare to burn upstream tokens for. On a
 * pipe, reading ends normally at EOF; the client is gone when the reader
 * of the output has closed it. */
int
conn_gone(struct conn *c)
{
	struct pollfd	 p;
	char		 junk[4096];
	ssize_t		 r;

	if (c->failed)
		return 1;
	if (!c->sock) {
		p.fd = c->out;
		p.events = 0;
		p.revents = 0;
		return poll(&p, 1, 0) == 1 &&
		    (p.revents & (POLLERR | POLLHUP)) != 0;
	}
	r = recv(c->in, junk, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 0)
		return 1;
	if (r == -1)
		return errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR;
	/* Bytes after the request are read and dropped, not answered, or
	 * under keep-alive kept as the next request; a client that floods
	 * them is treated as gone. */
	r = recv(c->in, junk, sizeof(junk), MSG_DONTWAIT);
	if (r > 0) {
		c->junk += (size_t)r;
		if (c->keep && c->junk <= CONN_JUNK_MAX &&
		    buf_add(&c->rbuf, junk, (size_t)r) == -1)
			return 1;
	}
	return c->junk > CONN_JUNK_MAX;
}

/* "address:port" of the client, "-" when not a network socket. */
const char *
conn_peer(struct conn *c)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 host[INET6_ADDRSTRLEN];
	const void		*addr;
	int			 port;

	if (c->peer[0])
		return c->peer;
	strcpy(c->peer, "-");
	if (!c->sock || getpeername(c->in, (struct sockaddr *)&ss, &len) == -1)
		return c->peer;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		addr = &s4->sin_addr;
		port = ntohs(s4->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		addr = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
	} else {
		strcpy(c->peer, "unix");
		return c->peer;
	}
	if (inet_ntop(ss.ss_family, addr, host, sizeof(host)) == NULL)
		return c->peer;
	snprintf(c->peer, sizeof(c->peer), ss.ss_family == AF_INET6 ?
	    "[%s]:%d" : "%s:%d", host, port);
	return c->peer;
}

/* Ends the response. With drain, the request was not read to its end:
 * closing a socket with unread input makes the kernel send a reset that
 * can destroy the response before the client reads it, so half-close and
 * read away what the client still sends, for a bounded time. */
void
conn_close(struct conn *c, int drain)
{
	long long	 deadline;
	size_t		 total = 0;
	ssize_t		 r;

	if (!c->sock || !drain || c->failed)
		return;
	(void)shutdown(c->out, SHUT_WR);
	deadline = now_ms() + DRAIN_MS;
	while (total < DRAIN_BYTES) {
		c->rbuf.len = 0;
		if ((r = conn_read(c, deadline)) <= 0)
			break;
		total += (size_t)r;
	}
}
