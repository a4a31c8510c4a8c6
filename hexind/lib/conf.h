/* Settings: read once from the environment (after an optional env file),
 * validated, and described by one table that --help, --check and the man
 * page follow. */
#ifndef HEXIND_CONF_H
#define HEXIND_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "lib/log.h"

struct conf {
	/* Hexin upstream (names of the Python proxy) */
	const char	*app_id;
	const char	*app_secret;
	const char	*app_url;
	const char	*base_url;
	const char	*response_url;	/* NULL: {base_url}/chatgpt/v1/responses */
	const char	*ca_file;	/* NULL: ca_dir */
	const char	*ca_dir;	/* hashed CA store */
	/* hexind */
	const char	*api_keys;	/* comma-separated */
	const char	*api_keys_file;
	const char	*admin_keys;	/* comma-separated: GET /metrics */
	const char	*models_file;
	const char	*cors_origins;	/* comma-separated, or "*" */
	const char	*cache_dir;	/* NULL: $CACHE_DIRECTORY or default */
	const char	*state_dir;	/* NULL: $STATE_DIRECTORY or default */
	const char	*log_dir;	/* NULL: no request capture */
	enum log_level	 log_level;
	size_t		 max_header_bytes;
	size_t		 max_headers;
	size_t		 max_body_bytes;
	size_t		 max_json_values;
	size_t		 keepalive_requests;
	int		 keepalive_timeout_ms;
	int		 header_timeout_ms;
	int		 body_timeout_ms;
	int		 connect_timeout_ms;
	int		 login_timeout_ms;
	int		 upstream_timeout_ms;
	int		 idle_timeout_ms;
	size_t		 retries;
	size_t		 max_answer_bytes;
	int		 think_tags;
	size_t		 embed_parallel;
	int		 token_margin_ms;
};

#define CACHE_DIR_DEFAULT	"/var/cache/hexind"
#define STATE_DIR_DEFAULT	"/var/lib/hexind"

#define CONF_ERRSZ	512

int	conf_env_file(const char *path, char *err, size_t errsz);
int	conf_load(struct conf *, char *err, size_t errsz);
void	conf_print(const struct conf *, FILE *);
void	conf_usage_settings(FILE *);
int	conf_list_has(const char *list, const char *item, size_t itemlen);
int	conf_list_match(const char *globs, const char *);
const char *conf_cache_dir(const struct conf *, char *tmp, size_t tmpsz);
const char *conf_state_dir(const struct conf *, char *tmp, size_t tmpsz);

#endif
