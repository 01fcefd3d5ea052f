/* mix64.h: splitmix64's finaliser, the 64-bit mixer behind dsim's state
 * digests, fingerprints, coverage features and ring positions.  A pure
 * function of its argument, so every world and every machine agree. */
#pragma once

#include <stdint.h>

static inline uint64_t
mix64 (uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* One whole splitmix64 step: the golden-ratio increment, then the mixer. */
static inline uint64_t
splitmix64_mix (uint64_t z)
{
  return mix64 (z + 0x9e3779b97f4a7c15ULL);
}
