/* Where a line goes is decided once, at the first line: fstat(2) of fd 2
 * costs nothing when nothing is logged. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "lib/log.h"

enum sink { SINK_UNSET, SINK_STDERR, SINK_STREAM, SINK_SYSLOG, SINK_JOURNAL };

static enum log_level	 max_level = LOG_LVL_INFO;
static enum sink	 sink = SINK_UNSET;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_set_level(enum log_level l)
{
	max_level = l;
}

int
log_level_parse(const char *s, enum log_level *l)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*l = (enum log_level)i;
			return 0;
		}
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	return level_names[l];
}

/* systemd names the journal stream it gave a service as "DEV:INODE" in
 * $JOURNAL_STREAM (systemd.exec(5)): a socket on stderr that is not that
 * one is a client's (xinetd). */
static int
journal_stream(const struct stat *st)
{
	const char	*v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	int		 end = 0;

	return v && sscanf(v, "%llu:%llu%n", &dev, &ino, &end) == 2 &&
	    v[end] == '\0' && dev == (unsigned long long)st->st_dev &&
	    ino == (unsigned long long)st->st_ino;
}

static enum sink
sink_pick(void)
{
	struct stat	 st;

	if (fstat(STDERR_FILENO, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return SINK_STDERR;
		if (journal_stream(&st))
			return SINK_STREAM;
	}
#ifdef HAVE_SYSTEMD
	/* The journal's socket exists only where journald runs. */
	if (access("/run/systemd/journal/socket", W_OK) == 0)
		return SINK_JOURNAL;
#endif
	openlog("hexind", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return SINK_SYSLOG;
}

/* Copies n bytes of src into dst, escaping as \\xHH every byte that
 * could split or forge a log line or drive a terminal: control bytes and
 * DEL always; spaces, backslashes and non-ASCII too in a field. */
static size_t
escape(char *dst, size_t dstsz, const char *src, size_t n, int fields)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i, o = 0;
	unsigned char c;

	if (dstsz == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c != 0x7f && !(fields && (c == ' ' ||
		    c == '\\' || c > 0x7f))) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstsz)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return o;
}

/* A field of the access line: printable ASCII but for the backslash
 * stays, everything else is escaped, so fields stay apart. */
size_t
log_clean(char *dst, size_t dstsz, const char *src, size_t n)
{
	return escape(dst, dstsz, src, n, 1);
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	char	 raw[2048], line[2048], out[2100];
	va_list	 ap;
	int	 n;

	if (l > max_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A message may carry text from outside (an upstream's error, a
	 * client's model name): one line, whatever it holds. */
	(void)escape(line, sizeof(line), raw,
	    (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1, 0);
	if (sink == SINK_UNSET)
		sink = sink_pick();
	switch (sink) {
	case SINK_STDERR:
	case SINK_STREAM:
		/* journald reads the priority from a "<N>" prefix and adds
		 * the name and PID itself. */
		n = sink == SINK_STREAM ?
		    snprintf(out, sizeof(out), "<%d>%s: %s\n", level_prio[l],
		    level_names[l], line) :
		    snprintf(out, sizeof(out), "hexind[%ld]: %s: %s\n",
		    (long)getpid(), level_names[l], line);
		/* One write(2) per line keeps lines whole between processes. */
		if (n > 0)
			(void)!write(STDERR_FILENO, out,
			    (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
		break;
#ifdef HAVE_SYSTEMD
	case SINK_JOURNAL:
		(void)sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d",
		    level_prio[l], "SYSLOG_IDENTIFIER=hexind", NULL);
		break;
#endif
	default:
		syslog(level_prio[l], "%s", line);
		break;
	}
}
