/* The model table: the input is a HEXIND_MODELS_FILE, optionally followed
 * by NUL-separated client model names (JSON text holds no NUL, so the
 * table ends at the first). models_load reads the file (a memfd, no disk)
 * over the built-in table; a loaded table is then queried: every model id
 * must be found, and every name (those of the input, the table's ids and
 * patterns, and a fixed list from the tests) resolved. */
#include <sys/mman.h>

#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "lib/conf.h"
#include "lib/json.h"
#include "upstream/models.h"

#define NAMES_MAX	32

static int	 table_fd = -1;
static char	 table_path[64];

static const char *const fixed_names[] = {
	"claude", "claude-3-5-sonnet-20241022", "claude-3-7-sonnet-latest",
	"claude-sonnet-4-20250514", "claude-opus-4-5", "claude-haiku-4-5",
	"claude-sonnet-4-5", "us.anthropic.claude-x-v1",
	"global.anthropic.claude-opus-4-5-20251101-v1:0", "gpt-4o",
	"gpt-4o-mini", "o3", "o4-mini", "gpt4", "gemini", "doubao-deepseek-r1",
	"deepseek-reasoner", "deepseek-chat", "ep-20250204210426-gclbn",
	"r1-qianfan", "qwen-max", "text-embedding-3-small", "", "*", "-",
	"claude-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5-3-5",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((table_fd = memfd_create("fuzz-models", 0)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(table_path, sizeof(table_path), "/proc/self/fd/%d",
	    table_fd);
	return 0;
}

static void
resolve(const struct models *m, const char *name)
{
	struct resolved	 r;
	char		 err[MODELS_ERRSZ];
	const char	*s;

	err[0] = '\0';
	if (models_resolve(m, name, &r, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	FUZZ_CHECK(r.family != NULL);
	FUZZ_CHECK(r.family >= m->families &&
	    r.family < m->families + m->nfamilies);
	FUZZ_CHECK(strlen(r.model) < sizeof(r.model));
	FUZZ_CHECK(r.max_tokens_cap >= 0);
	(void)family_kind_name(r.family->kind);
	if (r.family->kind == FAMILY_BEDROCK)
		for (s = r.model; *s; s++)
			FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:_-", *s));
}

static void
patterns(const struct models *m, yajl_val pats)
{
	size_t	 i;

	for (i = 0; YAJL_IS_ARRAY(pats) && i < pats->u.array.len; i++)
		resolve(m, pats->u.array.values[i]->u.string);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*d = (const char *)data, *names[NAMES_MAX], *nul, *p;
	struct conf	 c;
	struct models	 m;
	char		 err[MODELS_ERRSZ], *copy;
	size_t		 tlen, nnames = 0, i, j;

	nul = memchr(d, '\0', n);
	tlen = nul ? (size_t)(nul - d) : n;
	if (ftruncate(table_fd, 0) == -1 ||
	    pwrite(table_fd, d, tlen, 0) != (ssize_t)tlen)
		abort();
	/* the names, NUL-terminated in a copy */
	if ((copy = malloc(n - tlen + 1)) == NULL)
		abort();
	memcpy(copy, d + tlen, n - tlen);
	copy[n - tlen] = '\0';
	for (p = nul ? copy + 1 : copy + (n - tlen);
	    p < copy + (n - tlen) && nnames < NAMES_MAX; p += strlen(p) + 1)
		names[nnames++] = p;

	memset(&c, 0, sizeof(c));
	c.models_file = table_path;
	err[0] = '\0';
	if (models_load(&c, &m, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(m.models == NULL && m.families == NULL &&
		    m.file == NULL);
		free(copy);
		return 0;
	}
	for (i = 0; i < m.nmodels; i++) {
		FUZZ_CHECK(m.models[i].id && m.models[i].owned_by);
		FUZZ_CHECK(models_find(&m, m.models[i].id) == &m.models[i]);
		resolve(&m, m.models[i].id);
	}
	for (i = 0; i < m.nfamilies; i++) {
		const struct family *f = &m.families[i];

		FUZZ_CHECK(f->name && YAJL_IS_ARRAY(f->match));
		FUZZ_CHECK(f->max_tokens_default > 0);
		patterns(&m, f->match);
		patterns(&m, f->passthrough);
		for (j = 0; f->map && j < f->map->u.array.len; j++)
			patterns(&m, json_get(f->map->u.array.values[j],
			    "when"));
	}
	for (i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]); i++)
		resolve(&m, fixed_names[i]);
	for (i = 0; i < nnames; i++) {
		resolve(&m, names[i]);
		(void)models_find(&m, names[i]);
		for (j = 0; j < nnames; j++)
			(void)glob_match(names[i], names[j]);
	}
	models_free(&m);
	FUZZ_CHECK(m.models == NULL && m.nmodels == 0);
	free(copy);
	return 0;
}
