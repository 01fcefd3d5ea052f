/* pcg32.h: the PCG32 random number generator (XSH-RR 64/32) with streams.
 *
 * The only source of randomness in a simulated world.  Every node, client and
 * fault source owns one Pcg32 value, seeded from the run seed and its own
 * stream number, so adding a client never changes the network's drops.
 * The state is two 64-bit words: it can be copied with memcpy, hashed, and
 * stored inside a protocol node's flat state.
 *
 * Reference: M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation" (2014),
 * pcg32_srandom_r / pcg32_random_r / pcg32_boundedrand_r. */
#pragma once

#include <stdint.h>

typedef struct {
  uint64_t state; /* all values are possible */
  uint64_t inc;   /* selects the stream; always odd */
} Pcg32;

#define PCG32_MULT 6364136223846793005ULL

static inline uint32_t
pcg32_next (Pcg32 *rng)
{
  uint64_t old = rng->state;
  rng->state = old * PCG32_MULT + rng->inc;
  uint32_t xorshifted = (uint32_t) (((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t) (old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Seeds rng with initial state `seed` on stream `seq` (any 64-bit value;
 * the top bit is ignored, as in the reference implementation). */
static inline void
pcg32_seed (Pcg32 *rng, uint64_t seed, uint64_t seq)
{
  rng->state = 0u;
  rng->inc = (seq << 1u) | 1u;
  pcg32_next (rng);
  rng->state += seed;
  pcg32_next (rng);
}

/* A uniformly distributed integer in [0, bound), without modulo bias
 * (rejection of the first 2^32 mod bound values).  bound must be > 0. */
static inline uint32_t
pcg32_below (Pcg32 *rng, uint32_t bound)
{
  uint32_t threshold = (-bound) % bound;
  for (;;) {
    uint32_t r = pcg32_next (rng);
    if (r >= threshold)
      return r % bound;
  }
}

/* A uniformly distributed 64-bit integer in [lo, hi] (inclusive), unbiased. */
static inline int64_t
pcg32_range (Pcg32 *rng, int64_t lo, int64_t hi)
{
  uint64_t span = (uint64_t) hi - (uint64_t) lo;
  if (span < UINT32_MAX)
    return lo + (int64_t) pcg32_below (rng, (uint32_t) span + 1u);
  /* Wide range: rejection sampling on 64-bit draws. */
  uint64_t bound = span + 1u; /* 0 means the whole 64-bit range */
  for (;;) {
    uint64_t r = ((uint64_t) pcg32_next (rng) << 32) | pcg32_next (rng);
    if (bound == 0)
      return lo + (int64_t) r;
    uint64_t threshold = (-bound) % bound;
    if (r >= threshold)
      return lo + (int64_t) (r % bound);
  }
}

/* A double in [0, 1) with 53 random bits. */
static inline double
pcg32_double (Pcg32 *rng)
{
  uint64_t hi = pcg32_next (rng) >> 5; /* 27 bits */
  uint64_t lo = pcg32_next (rng) >> 6; /* 26 bits */
  return (double) ((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

/* True with probability p (p <= 0 never, p >= 1 always). */
static inline int
pcg32_chance (Pcg32 *rng, double p)
{
  if (p <= 0.0)
    return 0;
  if (p >= 1.0)
    return 1;
  return pcg32_double (rng) < p;
}

/* Derives a stream seed for a named purpose from the run seed, so that each
 * random source is independent of how many others exist.  `kind` names the
 * source (node, client, network, faults...), `index` its number. */
static inline uint64_t
pcg32_derive (uint64_t run_seed, uint32_t kind, uint32_t index)
{
  /* SplitMix64 finaliser over the combined words. */
  uint64_t z = run_seed ^ (((uint64_t) kind << 32) | index) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
