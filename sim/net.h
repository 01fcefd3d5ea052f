/* net.h: the simulated network of one world.
 *
 * Decides the fate of every message (lost, delayed, duplicated, held back),
 * keeps the partitions and one-way cuts, and owns a copy of every message in
 * flight.  It draws randomness only from its own Pcg32 stream, so its drops
 * depend on the run seed and on the messages sent, never on how many clients
 * or fault sources exist.
 *
 * Per link (from, to) the config is the [network] default unless a
 * SimLinkOverride matches (from and to equal, or -1 for any); the last
 * matching override wins.
 *
 * Partitions are looked up when a message arrives, not when it is sent: a
 * message in flight when a partition starts is lost on arrival. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "protocols/pcg32.h"
#include "sim/config.h"

/* Message bodies up to this size live inside the slot (no allocation). */
#define SIM_MSG_INLINE 48

typedef struct {
  uint64_t id;       /* unique within the run, from 1; 0: free slot */
  uint64_t dup_of;   /* 0, or the id of the message this one duplicates */
  int32_t from, to;
  int64_t sent_us;
  uint32_t len;
  uint32_t checksum;  /* of the bytes as sent, when has_checksum */
  uint8_t has_checksum; /* the link may corrupt: the receiver checks */
  uint8_t inline_data[SIM_MSG_INLINE];
  uint32_t heap_cap;  /* bytes allocated at heap_data */
  uint64_t digest;    /* sim_msg_digest (m, 0), set when it is queued */
  uint8_t *heap_data; /* len > SIM_MSG_INLINE; a free slot keeps its
                         buffer for the next large message */
} SimMsg;

static inline const void *
sim_msg_data (const SimMsg *m)
{
  return m->len <= SIM_MSG_INLINE ? m->inline_data : m->heap_data;
}

/* What happens to one message handed to the network. */
typedef struct {
  gboolean is_lost;      /* random loss: never arrives */
  gboolean is_duplicated;/* a second copy arrives too */
  int64_t arrive_us[2];  /* arrival of the message and of its copy */
} SimNetFate;

typedef struct {
  int n_endpoints;
  Pcg32 rng;
  SimLinkConfig *links;     /* [0] default, [1 + k] override k */
  guint n_links;
  guint16 *link_of;         /* n_endpoints^2: index into links */
  SimGroupId *group;        /* partition group per endpoint; -1: not cut */
  SimGroupId *random_group; /* the random partition's groups, a layer of
                               its own: its end heals it and nothing else */
  uint8_t *oneway;          /* n_endpoints^2: 1 if from -> to is cut */
  gboolean has_cuts;        /* any partition or one-way cut active */
  gboolean is_pristine;     /* links, link_of, groups and cuts are still as
                               sim_net_init made them from the config */
  int64_t *busy_until_us;   /* n_endpoints^2: link serialisation (bandwidth) */

  SimMsg *slots;            /* in-flight messages */
  guint n_slots, cap_slots;
  guint *free_slots;        /* stack of free slot numbers */
  guint n_free;
  guint n_in_flight;
  guint vc_len;             /* vector clock entries kept per slot (0: none) */
  uint64_t *vcs;            /* cap_slots * vc_len */
} SimNet;

void sim_net_init (SimNet *net, const SimConfig *cfg, int n_endpoints, uint64_t stream_seed);
void sim_net_clear (SimNet *net);
/* Copies src into dst (uninitialised), in-flight messages included; the
 * copy keeps no vector clocks. */
void sim_net_copy (SimNet *dst, const SimNet *src);
/* Keeps a vector clock of vc_len entries with every message from now on.
 * Only while no message is in flight. */
void sim_net_set_vc_len (SimNet *net, guint vc_len);

const SimLinkConfig *sim_net_link (const SimNet *net, int from, int to);

/* Draws the fate of a message of len bytes sent now_us from `from` to `to`:
 * loss (drop), latency (uniform or long tail), reordering delay, bandwidth
 * serialisation and duplication, in that order of draws. */
void sim_net_route (SimNet *net, int from, int to, uint32_t len, int64_t now_us,
                    SimNetFate *fate);
/* One latency draw for the link (without reordering or bandwidth). */
int64_t sim_net_latency (SimNet *net, const SimLinkConfig *link);

/* TRUE if a message from `from` to `to` is lost to a partition or cut now. */
static inline gboolean
sim_net_is_cut (const SimNet *net, int from, int to)
{
  if (!net->has_cuts)
    return FALSE;
  SimGroupId gf = net->group[from], gt = net->group[to];
  if (gf >= 0 && gt >= 0 && gf != gt)
    return TRUE;
  gf = net->random_group[from];
  gt = net->random_group[to];
  if (gf >= 0 && gt >= 0 && gf != gt)
    return TRUE;
  return net->oneway[from * net->n_endpoints + to] != 0;
}

/* Replaces the groups: group[i] for each endpoint (-1: not cut from anyone).
 * One-way cuts stay. */
void sim_net_partition (SimNet *net, const SimGroupId *group);
void sim_net_cut_oneway (SimNet *net, int from, int to);
/* Removes every partition and one-way cut, random ones included. */
void sim_net_heal (SimNet *net);
/* No more loss or duplication on any link (latency and reordering stay). */
void sim_net_heal_loss (SimNet *net);
/* The random partition layer: set (replacing the previous random one) and
 * healed on its own; scheduled partitions and cuts are left alone. */
void sim_net_partition_random (SimNet *net, const SimGroupId *group);
void sim_net_heal_random (SimNet *net);

/* Stores a copy of a message in flight; returns its slot. */
guint sim_net_store (SimNet *net, uint64_t id, uint64_t dup_of, int from, int to,
                     int64_t sent_us, const void *data, uint32_t len);
static inline SimMsg *
sim_net_msg (const SimNet *net, guint slot)
{
  g_assert (slot < net->n_slots);
  return &net->slots[slot];
}
/* The vector clock stored with slot (vc_len entries). */
static inline uint64_t *
sim_net_msg_vc (const SimNet *net, guint slot)
{
  return net->vcs + (size_t) slot * net->vc_len;
}
/* Frees the slot (after delivery or loss). */
void sim_net_release (SimNet *net, guint slot);
