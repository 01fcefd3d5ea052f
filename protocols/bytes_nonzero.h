/* bytes_nonzero.h: whether a byte range holds a non-zero byte, eight bytes
 * at a time (the extent checks of a node's state and of a disk image). */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <string.h>

static inline gboolean
bytes_nonzero (const void *data, size_t len)
{
  const uint8_t *b = data;
  size_t i = 0;
  /* 64 bytes a round, leaving at the first nonzero round: most ranges
   * asked about are zero and a few KB long (a snapshot's state machine, a
   * log ring's unused slots). */
  for (; i + 64 <= len; i += 64) {
    uint64_t v[8];
    memcpy (v, b + i, 64);
    if (((v[0] | v[1]) | (v[2] | v[3]) | (v[4] | v[5]) | (v[6] | v[7])) != 0)
      return TRUE;
  }
  uint64_t any = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    memcpy (&v, b + i, 8);
    any |= v;
  }
  for (; i < len; i++)
    any |= b[i];
  return any != 0;
}
