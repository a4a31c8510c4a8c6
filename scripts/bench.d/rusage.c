/* rusage: runs a command and, once it has exited, writes its wait4(2)
 * resource usage (its own and that of every child it reaped) to a file:
 *
 *	rusage OUTFILE COMMAND [ARG...]
 *
 * OUTFILE gets "utime_us stime_us maxrss_kib". scripts/bench starts
 * systemd-socket-activate through it to learn the largest peak RSS of the
 * hexind processes it reaped. Not from Python directly: a process forked
 * from the bench carries the bench's own peak RSS past its exec(2), which
 * would hide hexind's; this launcher is small. SIGTERM, SIGINT and SIGHUP
 * are passed on to the command; the exit status is the command's.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile pid_t child;

static void
pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage	 ru;
	FILE		*f;
	int		 status;
	pid_t		 pid;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	pid = fork();
	if (pid == -1)
		return 2;
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	child = pid;
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR)
			return 2;
	if ((f = fopen(argv[1], "w")) != NULL) {
		fprintf(f, "%ld %ld %ld\n",
		    (long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		    (long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
		    ru.ru_maxrss);
		fclose(f);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
