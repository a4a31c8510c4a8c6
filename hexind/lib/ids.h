/* Request and session ids: which client ids are safe to echo and log,
 * and fresh random ones. */
#ifndef HEXIND_IDS_H
#define HEXIND_IDS_H

#define ID_MAX	128

int	id_ok(const char *);
void	id_hex(char out[33]);
void	id_uuid(char out[37]);

#endif
