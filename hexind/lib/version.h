/* hexind's version, as --version and /health say it (-DHEXIND_VERSION wins). */
#ifndef HEXIND_VERSION
#define HEXIND_VERSION	"0.1.0"
#endif
