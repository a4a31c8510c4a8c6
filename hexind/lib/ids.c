/* A client's id is echoed in headers and written to the log, so it must
 * be short and of a character set that can break neither. */
#include <sys/random.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ids.h"

static const char hex[] = "0123456789abcdef";

/* 1 to ID_MAX of A-Za-z0-9._- */
int
id_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > ID_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static void
random16(unsigned char r[16])
{
	struct timespec	 ts;
	size_t		 i;

	if (getrandom(r, 16, GRND_NONBLOCK) == 16)
		return;
	/* No entropy yet (early boot): unique enough for an id. */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < 16; i++)
		r[i] = (unsigned char)((ts.tv_nsec >> (i % 4 * 8)) ^
		    (getpid() >> (i % 2 * 8)) ^ (long)ts.tv_sec ^ (long)i * 37);
}

void
id_hex(char out[33])
{
	unsigned char	 r[16];
	int		 i;

	random16(r);
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
}

/* A version 4 UUID (RFC 9562), lower case. */
void
id_uuid(char out[37])
{
	unsigned char	 r[16];
	int		 i, o = 0;

	random16(r);
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
	}
	out[o] = '\0';
}
