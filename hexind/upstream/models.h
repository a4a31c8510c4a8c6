/* The model table: the models /v1/models advertises and the families that
 * route a client's model name to a Hexin route. It is data: a built-in
 * JSON table that HEXIND_MODELS_FILE extends or replaces. */
#ifndef HEXIND_MODELS_H
#define HEXIND_MODELS_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "lib/conf.h"

enum family_kind { FAMILY_OPENAI, FAMILY_BEDROCK, FAMILY_GATEWAY };

#define FALLBACKS_MAX	8

struct model {
	const char	*id;
	const char	*owned_by;
	long long	 created;
	yajl_val	 fallbacks;	/* model names, in order, or NULL */
};

struct family {
	const char	*name;
	yajl_val	 match;		/* patterns */
	enum family_kind	 kind;		/* "route" in the table */
	const char	*path;		/* openai: "{symbol}/{version}" */
	const char	*model;		/* fixed upstream model */
	yajl_val	 passthrough;	/* patterns of names sent as they are */
	yajl_val	 map;		/* [{when, model, ...}] */
	yajl_val	 rename;	/* {client field: upstream field} */
	yajl_val	 drop;		/* client fields not sent */
	int		 fan_out_n;
	const char	*system;	/* bedrock: "fold" or "native" */
	long long	 max_tokens_default;
	long long	 max_tokens_cap;
	const char	*base_url;	/* gateway */
	const char	*key_env;	/* gateway: variable holding the key */
	int		 responses_native;	/* Hexin's Responses URL */
	int		 reasoning_effort;	/* the route takes one */
	yajl_val	 fallbacks;	/* model names, in order, or NULL */
};

/* What a client's model name resolves to. */
struct resolved {
	const struct family	*family;
	char			 model[256];	/* upstream model id */
	yajl_val		 fallbacks;	/* the model's, else its
						   family's, or NULL */
	int			 fan_out_n;
	long long		 max_tokens_cap;
};

struct models {
	struct model	*models;
	size_t		 nmodels;
	struct family	*families;
	size_t		 nfamilies;
	yajl_val	 bedrock_betas;		/* anthropic-beta flags Bedrock
						   takes, or NULL: any */
	yajl_val	 bedrock_fields;	/* Messages body fields */
	yajl_val	 file;		/* HEXIND_MODELS_FILE's tree */
};

#define MODELS_ERRSZ	512

int	models_load(const struct conf *, struct models *, char *, size_t);
void	models_free(struct models *);
const struct model *models_find(const struct models *, const char *id);
int	models_resolve(const struct models *, const char *name,
	    struct resolved *, char *err, size_t errsz);
int	models_url(const struct conf *, const struct resolved *, int stream,
	    char *url, size_t n);
const char *models_route_name(const struct resolved *);
const char *models_field(const struct family *, const char *key);
int	models_allowed(yajl_val list, const char *, size_t);
const char *family_kind_name(enum family_kind);
int	glob_match(const char *pat, const char *s);

#endif
