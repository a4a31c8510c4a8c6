#ifndef HEXIND_VERSION
#define HEXIND_VERSION	"0.1.0"
#endif
