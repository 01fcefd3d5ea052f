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
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    memcpy (&v, b + i, 8);
    any |= v;
  }
  for (; i < len; i++)
    any |= b[i];
  return any != 0;
}
