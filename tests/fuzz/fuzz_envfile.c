/* The dotenv parser behind HEXIND_ENV_FILE: the input is the file. The
 * callback checks each setting (a NAME of [A-Za-z_][A-Za-z0-9_]*, short
 * enough, NUL-terminated) and stops the parse at a key named STOP, whose
 * value must then be the parse's. Errors come with a message and a line
 * number within the file. The text is passed as conf_env_file passes
 * it: the buffer's data, NULL for an empty file (FUZZ_ENVFILE_NONNULL=1
 * in the environment passes a non-NULL pointer instead, to fuzz the rest
 * while that case is known to fail: crashes/envfile-empty.bin). */
#include "fuzz.h"
#include "lib/envfile.h"

#define STOP_RC		5

static int	 nonnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	nonnull = getenv("FUZZ_ENVFILE_NONNULL") != NULL;
	return 0;
}

static int
key_ok(const char *k)
{
	const char	*s;

	if (!(*k == '_' || (*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z')))
		return 0;
	for (s = k; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static int
setting(const char *key, const char *value, void *arg)
{
	size_t	*count = arg;

	FUZZ_CHECK(key_ok(key));
	FUZZ_CHECK(strlen(key) <= 256);
	FUZZ_CHECK(strlen(value) <= 65536);
	(*count)++;
	return strcmp(key, "STOP") == 0 ? STOP_RC : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*d = (const char *)data, *msg = NULL;
	size_t		 line = 0, lines = 1, count = 0, i;
	int		 rc;

	for (i = 0; i < n; i++)
		lines += data[i] == '\n';
	/* conf_env_file passes b.data, which is NULL for an empty file */
	rc = envfile_parse(n || nonnull ? d : NULL, n, setting, &count, &line,
	    &msg);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == STOP_RC);
	FUZZ_CHECK(line <= lines);
	FUZZ_CHECK(count <= line);
	if (rc == -1)
		FUZZ_CHECK(msg != NULL && line >= 1);
	else
		FUZZ_CHECK(msg == NULL);
	return 0;
}
