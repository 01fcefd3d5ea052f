/* storage.c: what a Paxos node writes to its disk, and what it does when
 * the disk gives back something else.
 *
 * Section 2.3: "An acceptor must remember this information [the highest
 * proposal it accepted and the highest prepare request it responded to]
 * even if it fails and then restarts."  Every slot, the snapshot and the
 * header (promised ballot, last slot) carry a checksum; a step that changes
 * the promise or accepts a value syncs before its answer leaves.
 *
 * On restart the node checks its image.  An acceptor that cannot trust
 * what its disk says it promised and accepted cannot answer a prepare or an
 * accept without risking a second chosen value (the argument of
 * Alagappan et al., "Protocol-Aware Recovery for Consensus-Based Storage",
 * FAST 2018), and unlike a Raft follower it has no single leader log to
 * repair itself from: a damaged node stops, and says so in the trace
 * ("storage-corrupt-halt").  Changes that never became durable are simply
 * lost, as if never made: no message that depended on them left. */
#include "protocols/paxos/paxos.h"

#include <string.h>

static inline uint64_t
sum_mix (uint64_t h, uint64_t v)
{
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

/* Eight bytes at a time, the tail zero-padded, the length mixed in. */
static uint64_t
sum_bytes (uint64_t h, const void *data, size_t len)
{
  const uint8_t *b = data;
  uint64_t x = 0xcbf29ce484222325ULL ^ h;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    memcpy (&v, b + i, 8);
    x = (x ^ v) * 0x100000001b3ULL;
    x ^= x >> 29;
  }
  if (i < len) {
    uint64_t v = 0;
    memcpy (&v, b + i, len - i);
    x = (x ^ v) * 0x100000001b3ULL;
  }
  return sum_mix (h, x ^ len);
}

/* Each sum is taken over the bytes before its own field and xored with the
 * sum of zeroes, so a part never written (all zero) checks out. */
static uint64_t
slot_hash (const PaxosSlot *s)
{
  return sum_bytes (0x534c4f54ULL, s, offsetof (PaxosSlot, sum));
}

void
paxos_slot_seal (PaxosSlot *slot)
{
  static const PaxosSlot zero;
  slot->sum = slot_hash (slot) ^ slot_hash (&zero);
}

static uint64_t
snap_hash (const PaxosSnapshot *s)
{
  return sum_bytes (0x534e4150ULL, s, offsetof (PaxosSnapshot, sum));
}

void
paxos_snap_seal (PaxosSnapshot *snap)
{
  static const PaxosSnapshot zero;
  snap->sum = snap_hash (snap) ^ snap_hash (&zero);
}

static uint64_t
header_hash (const PaxosPersist *p)
{
  uint64_t h = sum_mix (0x48454144ULL, p->promised);
  return sum_mix (h, p->last_slot);
}

void
paxos_persist_seal (PaxosPersist *p)
{
  static const PaxosPersist zero;
  p->sum = header_hash (p) ^ header_hash (&zero);
}

gboolean
paxos_persist_is_intact (const PaxosPersist *p, GString *why)
{
  static const PaxosPersist zero;
  static const PaxosSnapshot zero_snap;
  static const PaxosSlot zero_slot;
  if (p->sum != (header_hash (p) ^ header_hash (&zero))) {
    g_string_append (why, "the header (promised ballot) fails its checksum");
    return FALSE;
  }
  if (p->snap.sum != (snap_hash (&p->snap) ^ snap_hash (&zero_snap))) {
    g_string_append (why, "the snapshot fails its checksum");
    return FALSE;
  }
  /* Most slots of a short run were never written: all zero checks out. */
  uint64_t zero_sum = slot_hash (&zero_slot);
  for (uint64_t i = 0; i < PAXOS_LOG_CAP; i++) {
    const PaxosSlot *s = &p->log[i];
    if (memcmp (s, &zero_slot, sizeof *s) == 0)
      continue;
    if (s->sum != (slot_hash (s) ^ zero_sum)) {
      g_string_append_printf (why, "a slot (ring position %" G_GUINT64_FORMAT ") fails its "
                              "checksum", i);
      return FALSE;
    }
    if (s->cmd.kind > PAXOS_CMD_CAS || s->cmd.key >= PAXOS_MAX_KEYS
        || s->cmd.client >= PAXOS_MAX_CLIENTS) {
      g_string_append_printf (why, "a slot (ring position %" G_GUINT64_FORMAT ") holds no "
                              "command", i);
      return FALSE;
    }
  }
  if (p->last_slot > p->snap.index + PAXOS_LOG_CAP || p->snap.index > G_MAXUINT64 / 2) {
    g_string_append (why, "the slot bounds are impossible");
    return FALSE;
  }
  return TRUE;
}
