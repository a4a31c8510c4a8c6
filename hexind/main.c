/* hexind: a process per connection, started by systemd (Accept=yes),
 * inetd or a pipe. Reads its arguments and settings, finds the
 * connection, and has serve.c serve its request (under keep-alive, as
 * many as the client sends in turn, up to the limit); then exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "http/conn.h"
#include "ledger.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/version.h"
#include "serve.h"
#include "upstream/transport.h"

#define SD_LISTEN_FD	3

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: hexind [--env-file FILE] [--check | --route MODEL "
	    "| --discover MODEL_OR_FAMILY\n"
	    "              | --help | --version]\n"
	    "       hexind [--env-file FILE] --usage [--since YYYY-MM-DD] "
	    "[--until YYYY-MM-DD]\n"
	    "              [--by key|model|day] [--json]\n\n"
	    "Serves one HTTP request on the connection systemd (LISTEN_FDS) "
	    "or inetd\n(stdin and stdout) hands it, then exits.\n\n"
	    "settings (environment, or --env-file; the environment wins):\n");
	conf_usage_settings(fp);
}

/* The systemd socket-activation fd (Accept=yes passes the connection),
 * or -1 for inetd style. */
static int
listen_fd(void)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	char		*end;
	long		 p, n;

	if (pid == NULL || fds == NULL)
		return -1;
	errno = 0;
	p = strtol(pid, &end, 10);
	if (errno || *end || p != (long)getpid())
		return -1;
	n = strtol(fds, &end, 10);
	if (errno || *end || n < 1)
		return -1;
	if (n > 1)
		log_warn("LISTEN_FDS=%ld: serving only fd %d", n, SD_LISTEN_FD);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	(void)fcntl(SD_LISTEN_FD, F_SETFD, FD_CLOEXEC);
	return SD_LISTEN_FD;
}

/* Waits for the first byte of a kept-alive connection's next request:
 * 1 when one came, 0 when the client left or stayed idle. */
static int
next_request(struct conn *cn, const struct conf *cf)
{
	if (cn->rbuf.len > 0)
		return 1;
	return conn_read(cn, now_ms() + cf->keepalive_timeout_ms) > 0;
}


int
main(int argc, char *argv[])
{
	struct conf	 cf;
	struct conn	 cn;
	const char	*env_file = NULL, *route_model = NULL, *discover = NULL;
	char		 err[CONF_ERRSZ];
	size_t		 left;
	int		 i, check = 0, fd, bad, rc, again, report = 0;

	(void)signal(SIGPIPE, SIG_IGN);
	/* past RLIMIT_FSIZE a write fails with EFBIG: the capture copes */
	(void)signal(SIGXFSZ, SIG_IGN);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc)
			env_file = argv[++i];
		else if (strncmp(argv[i], "--env-file=", 11) == 0)
			env_file = argv[i] + 11;
		else if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (strcmp(argv[i], "--route") == 0 && i + 1 < argc)
			route_model = argv[++i];
		else if (strcmp(argv[i], "--discover") == 0 && i + 1 < argc)
			discover = argv[++i];
		else if (strcmp(argv[i], "--usage") == 0) {
			report = i + 1;	/* the rest is its own */
			break;
		}
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("hexind %s\n", HEXIND_VERSION);
			return 0;
		} else {
			fprintf(stderr, "hexind: unknown argument: %s\n",
			    argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}

	bad = env_file && conf_env_file(env_file, err, sizeof(err)) == -1;
	if (conf_load(&cf, bad ? NULL : err, sizeof(err)) == -1)
		bad = 1;

	if (report) {
		if (bad) {
			fprintf(stderr, "hexind: %s\n", err);
			return EXIT_CONFIG;
		}
		return ledger_report(&cf, argc - report, argv + report);
	}
	if (check || route_model || discover) {
		if (bad) {
			fprintf(stderr, "hexind: %s\n", err);
			return EXIT_CONFIG;
		}
		rc = check ? check_run(&cf) : route_model ?
		    check_route(&cf, route_model) :
		    check_discover(&cf, discover);
		transport_end();
		return rc;
	}

	/* A bad setting still gets the client an answer in its API's
	 * shape: conf_load left the defaults in place. */
	if ((fd = listen_fd()) != -1)
		conn_init(&cn, fd, fd, cf.body_timeout_ms);
	else
		conn_init(&cn, STDIN_FILENO, STDOUT_FILENO, cf.body_timeout_ms);
	/* One request, or under keep-alive as many as the client sends
	 * in turn, up to the limit. */
	/* the peer's name now: a client quick to close has none by the
	 * time the access line is written */
	(void)conn_peer(&cn);
	cn.keep = cf.keepalive_requests > 1;
	left = cf.keepalive_requests;
	do
		rc = serve(&cn, &cf, bad ? err : NULL, left--, &again);
	while (again && rc == EXIT_SERVED && next_request(&cn, &cf));
	conn_free(&cn);
	transport_end();
	return rc;
}
