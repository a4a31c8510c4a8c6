/* The operator's commands: --check, --route and --discover. */
#ifndef HEXIND_CHECK_H
#define HEXIND_CHECK_H

#include "lib/conf.h"

int	check_run(const struct conf *);
int	check_route(const struct conf *, const char *model);
int	check_discover(const struct conf *, const char *name);

#endif
