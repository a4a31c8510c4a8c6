/* shape: the floor of a process per connection, for scripts/bench. Run
 * exactly as hexind is (systemd-socket-activate --inetd, a fresh process
 * for each connection), it reads the request's head and body from fd 0
 * and writes a canned answer to fd 1 with no upstream call:
 *
 *	shape DOCROOT VARIANT
 *
 * /health gets a small JSON; /v1/models models.json; /v1/embeddings
 * embed<VARIANT>.json (VARIANT's slashes as dashes); a chat completion
 * stream.sse when its body asks for a stream, else chat.json: the files
 * scripts/bench writes for its upstream, so the bench's checks hold.
 * Linked static, as hexind's build is; it does no more than that, so
 * what hexind spends above it is hexind's own. */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD_MAX	65536

static char	 req[HEAD_MAX + 1];

static int
write_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(1, p, n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
answer(const char *ctype, const char *body, size_t n)
{
	char	 head[256];
	int	 h;

	h = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "%s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", ctype, n);
	return write_all(head, (size_t)h) || write_all(body, n) ? 1 : 0;
}

static int
answer_file(const char *docroot, const char *name, const char *ctype)
{
	char		 path[4096], *buf;
	struct stat	 st;
	int		 fd, rc = 1;
	ssize_t		 r;

	snprintf(path, sizeof(path), "%s/%s", docroot, name);
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		return 1;
	if ((buf = malloc((size_t)st.st_size + 1)) != NULL &&
	    (r = read(fd, buf, (size_t)st.st_size)) == st.st_size)
		rc = answer(ctype, buf, (size_t)r);
	free(buf);
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	char	 name[256], *end, *cl, *v;
	size_t	 n = 0, want;
	ssize_t	 r;

	if (argc != 3)
		return 2;
	while ((end = strstr(req, "\r\n\r\n")) == NULL) {
		if (n == HEAD_MAX || (r = read(0, req + n, HEAD_MAX - n)) <= 0)
			return 1;
		n += (size_t)r;
		req[n] = '\0';
	}
	want = (size_t)(end + 4 - req);
	if ((cl = strcasestr(req, "\r\ncontent-length:")) != NULL && cl < end)
		want += strtoul(cl + 17, NULL, 10);
	while (n < want && n < HEAD_MAX) {
		if ((r = read(0, req + n, HEAD_MAX - n)) <= 0)
			return 1;
		n += (size_t)r;
		req[n] = '\0';
	}
	if (strncmp(req, "GET /health ", 12) == 0)
		return answer("application/json", "{\"status\":\"healthy\"}",
		    20);
	if (strncmp(req, "GET /v1/models ", 15) == 0)
		return answer_file(argv[1], "models.json", "application/json");
	if (strncmp(req, "POST /v1/embeddings ", 20) == 0) {
		snprintf(name, sizeof(name), "embed%s.json", argv[2]);
		for (v = name; *v; v++)
			if (*v == '/')
				*v = '-';
		return answer_file(argv[1], name, "application/json");
	}
	if (strstr(end, "\"stream\": true") || strstr(end, "\"stream\":true"))
		return answer_file(argv[1], "stream.sse", "text/event-stream");
	return answer_file(argv[1], "chat.json", "application/json");
}
