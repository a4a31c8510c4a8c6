/* GET /metrics: the Prometheus text format, for the admin keys only,
 * summed over every process from the usage ledger. */
#ifndef HEXIND_METRICS_H
#define HEXIND_METRICS_H

#include "http/exchange.h"

void	metrics_serve(struct exchange *);

#endif
